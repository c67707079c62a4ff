/**
 * Account actions over the group's pool (the AccountPort): `checkoutAccount` (lease, push the device file, verify
 * it by pulling it back, restart the app so the game reads it), `completeAccount`, `returnAccount`,
 * `failAccount`, `updateAccount`, `getAccountField`.
 */
import { sameBytes } from '../../../shared/bytes';
import type { SourceRange } from '../../../shared/geometry';
import { DEMO_ACCOUNT_FILE, type AccountFieldValue, type AccountLease, type AccountPort } from '../../accounts';
import type { Engine, ExecContext } from '../context';
import { RoutineError, StopSignal } from '../errors';
import { interpolateDeep, resolveBool, resolveNumber, resolveString } from '../interpolate';
import type { StepOf } from '../loadedTypes';
import { toNumber } from '../variables';
import { appOf, packageOf } from './app';

/** The message every account action gives when the run has no pool. */
export const NO_POOL_MESSAGE = 'no account pool: run with --pool or inside a group';

/** How often `checkoutAccount` with `onEmpty: wait` asks the pool again. */
export const EMPTY_POOL_POLL_MS = 5000;

function port(engine: Engine, range: SourceRange): AccountPort {
  if (!engine.accounts) {
    throw new RoutineError('no-account-pool', NO_POOL_MESSAGE, range);
  }
  return engine.accounts;
}

function currentLease(engine: Engine, action: string, range: SourceRange): AccountLease {
  port(engine, range);
  if (!engine.lease) {
    throw new RoutineError('no-account', `${action}: no account is checked out (use checkoutAccount first)`, range);
  }
  return engine.lease;
}

async function accountCall<T>(ctx: ExecContext, what: string, range: SourceRange, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (ctx.signal.aborted || e instanceof RoutineError) {
      throw e;
    }
    throw new RoutineError('account-error', `${what}: ${e instanceof Error ? e.message : String(e)}`, range, { cause: e });
  }
}

/** Account field values: scalars stay, anything else is stored as JSON text. */
function toFieldValues(values: Record<string, unknown>): Record<string, AccountFieldValue> {
  const out: Record<string, AccountFieldValue> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k] = v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : v === undefined ? null : JSON.stringify(v);
  }
  return out;
}

function clearLease(ctx: ExecContext, engine: Engine): void {
  engine.lease = undefined;
  engine.setVariable(ctx, 'account_id', undefined, 'root');
}

/** Pushes the lease's device file, pulls it back to verify, and restarts the app so the game reads it. */
async function inject(ctx: ExecContext, engine: Engine, lease: AccountLease, range: SourceRange): Promise<void> {
  const component = appOf(ctx);
  const data = new TextEncoder().encode(lease.deviceFile);
  if (component) {
    await engine.deviceCall(ctx, 'stopApp', (o) => engine.device.stopApp(packageOf(component), o), true);
  }
  let verified = false;
  for (let attempt = 0; attempt < 2 && !verified; attempt++) {
    await engine.deviceCall(ctx, 'push account file', (o) => engine.device.push(data, DEMO_ACCOUNT_FILE, o), true);
    const back = await engine.deviceCall(ctx, 'pull account file', (o) => engine.device.pull(DEMO_ACCOUNT_FILE, o), false);
    verified = sameBytes(back, data);
  }
  if (!verified) {
    throw new RoutineError('inject-failed', `checkoutAccount: the account file read back from ${DEMO_ACCOUNT_FILE} differs from what was pushed`, range);
  }
  if (component) {
    if (component.includes('/')) {
      await engine.deviceCall(ctx, 'startApp', (o) => engine.device.startApp(component, o), true);
    } else {
      engine.emit(ctx, { type: 'log', level: 'warn', message: `checkoutAccount: the routine's app '${component}' has no activity; start the app yourself`, range });
    }
  } else {
    engine.emit(ctx, { type: 'log', level: 'warn', message: "checkoutAccount: the routine has no 'app', so the game was not restarted to read the account", range });
  }
  engine.emit(ctx, { type: 'account', action: 'inject', accountId: lease.accountId, range });
}

export async function checkoutAccount(step: StepOf<'checkoutAccount'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const pool = port(engine, step.range);
  const doInject = resolveBool(step.args.inject, ctx.lookup, 'inject', step.range);
  if (engine.lease) {
    const old = engine.lease;
    await accountCall(ctx, 'returnAccount', step.range, () => pool.release(old.accountId, 'replaced by a new checkout'));
    engine.emit(ctx, { type: 'account', action: 'release', accountId: old.accountId, range: step.range });
    clearLease(ctx, engine);
  }
  let lease: AccountLease | undefined;
  for (;;) {
    const got = await accountCall(ctx, 'checkoutAccount', step.range, () => pool.checkoutNext(ctx.signal));
    if (got) {
      // A private copy: updateAccount keeps its fields current without touching the pool's object.
      lease = { ...got, fields: { ...got.fields } };
      break;
    }
    if (step.args.onEmpty === 'stop') {
      throw new StopSignal('the account pool has no available account', 'pool-empty');
    }
    if (step.args.onEmpty === 'fail') {
      throw new RoutineError('pool-empty', 'checkoutAccount: the account pool has no available account', step.range);
    }
    engine.emit(ctx, { type: 'log', level: 'info', message: 'checkoutAccount: the account pool is empty; waiting', range: step.range });
    await engine.sleep(EMPTY_POOL_POLL_MS, ctx);
  }
  engine.lease = lease;
  engine.setVariable(ctx, 'account_id', lease.accountId, 'root');
  if (step.args.save) {
    engine.setVariable(ctx, step.args.save, lease.accountId);
  }
  engine.emit(ctx, { type: 'account', action: 'checkout', accountId: lease.accountId, range: step.range });
  if (doInject) {
    try {
      await inject(ctx, engine, lease, step.range);
    } catch (e) {
      // Do not keep an account whose file never reached the device: give it back unused.
      if (!ctx.signal.aborted) {
        const id = lease.accountId;
        await pool.release(id, `injection failed: ${e instanceof Error ? e.message : String(e)}`).catch(() => undefined);
        engine.emit(ctx, { type: 'account', action: 'release', accountId: id, range: step.range });
        clearLease(ctx, engine);
      }
      throw e;
    }
  }
}

export async function completeAccount(step: StepOf<'completeAccount'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const lease = currentLease(engine, 'completeAccount', step.range);
  const stats = toFieldValues(interpolateDeep(step.args.stats, ctx.lookup, step.range, 'stats') as Record<string, unknown>);
  await accountCall(ctx, 'completeAccount', step.range, () => engine.accounts!.complete(lease.accountId, stats));
  engine.emit(ctx, { type: 'account', action: 'complete', accountId: lease.accountId, range: step.range });
  clearLease(ctx, engine);
}

export async function returnAccount(step: StepOf<'returnAccount'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const lease = currentLease(engine, 'returnAccount', step.range);
  const reason = step.args.reason === undefined ? undefined : resolveString(step.args.reason, ctx.lookup, 'reason', step.range);
  await accountCall(ctx, 'returnAccount', step.range, () => engine.accounts!.release(lease.accountId, reason));
  engine.emit(ctx, { type: 'account', action: 'release', accountId: lease.accountId, range: step.range });
  clearLease(ctx, engine);
}

export async function failAccount(step: StepOf<'failAccount'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const lease = currentLease(engine, 'failAccount', step.range);
  const reason = resolveString(step.args.reason, ctx.lookup, 'reason', step.range);
  await accountCall(ctx, 'failAccount', step.range, () => engine.accounts!.markFailed(lease.accountId, reason));
  engine.emit(ctx, { type: 'account', action: 'failed', accountId: lease.accountId, range: step.range });
  clearLease(ctx, engine);
}

export async function updateAccount(step: StepOf<'updateAccount'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const lease = currentLease(engine, 'updateAccount', step.range);
  const fields = toFieldValues(interpolateDeep(step.args.fields, ctx.lookup, step.range, 'fields') as Record<string, unknown>);
  for (const [k, v] of Object.entries(step.args.increment)) {
    const by = resolveNumber(v, ctx.lookup, `increment.${k}`, step.range);
    const base = toNumber(k in fields ? fields[k] : lease.fields[k]) ?? 0;
    fields[k] = base + by;
  }
  await accountCall(ctx, 'updateAccount', step.range, () => engine.accounts!.update(lease.accountId, fields));
  Object.assign(lease.fields, fields);
  engine.emit(ctx, { type: 'account', action: 'update', accountId: lease.accountId, range: step.range });
}

export async function getAccountField(step: StepOf<'getAccountField'>, ctx: ExecContext, engine: Engine): Promise<void> {
  const lease = currentLease(engine, 'getAccountField', step.range);
  const field = resolveString(step.args.field, ctx.lookup, 'field', step.range);
  let v: unknown = lease.fields[field];
  if (v === undefined || v === null || v === '') {
    v = step.args.default === undefined ? null : interpolateDeep(step.args.default, ctx.lookup, step.range, 'default');
  }
  engine.setVariable(ctx, step.args.save, v);
}
