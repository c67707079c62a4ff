import { strict as assert } from 'node:assert';
import { DEMO_ACCOUNT_FILE } from '../../../src/bot/accounts';
import { NO_POOL_MESSAGE } from '../../../src/bot/routine/actions/accounts';
import { harness, lease, MemoryAccounts } from './interpreterHarness';

function y(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const APP = 'app: com.emulatorfleet.pocketpacks/.MainActivity';

describe('(unit) routine interpreter: account actions', () => {
  it('without an account pool, account actions fail with a clear located error', async () => {
    const h = harness({ routines: { t: y(APP, 'steps:', '  - checkoutAccount') } });
    const r = await h.run('t');
    assert.deepEqual([r.ok, r.error?.code, r.error?.message, r.error?.range?.start.line], [false, 'no-account-pool', NO_POOL_MESSAGE, 3]);
    assert.equal(NO_POOL_MESSAGE, 'no account pool: run with --pool or inside a group');
  });

  it('checkoutAccount leases, pushes the device file, verifies it and restarts the app; completeAccount reports stats', async () => {
    const accounts = new MemoryAccounts([lease('acc-1', { packs_opened: 3 })]);
    const h = harness({
      accounts,
      routines: { t: y(APP, 'vars: { opened: 2 }', 'steps:', '  - checkoutAccount: { save: acct }', '  - log: "using ${account_id}"', '  - completeAccount: { stats: { packs_opened: "${opened}", last: "${acct}" } }') },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(new TextDecoder().decode(h.device.files.get(DEMO_ACCOUNT_FILE)), lease('acc-1').deviceFile);
    assert.deepEqual(
      h.device.inputs.map((i) => i.kind),
      ['stopApp', 'push', 'startApp'],
    );
    assert.deepEqual(accounts.calls, [
      { op: 'checkout', id: 'acc-1' },
      { op: 'complete', id: 'acc-1', data: { packs_opened: 2, last: 'acc-1' } },
    ]);
    assert.deepEqual(
      h.of('account').map((e) => [e.action, e.accountId]),
      [
        ['checkout', 'acc-1'],
        ['inject', 'acc-1'],
        ['complete', 'acc-1'],
      ],
    );
    assert.equal(h.of('log')[0].message, 'using acc-1');
    assert.equal(r.variables.acct, 'acc-1');
    assert.equal(r.variables.account_id, undefined);
  });

  it('an empty pool stops the run (default), fails it, or waits for an account', async () => {
    const stop = harness({ accounts: new MemoryAccounts([]), routines: { t: y(APP, 'steps:', '  - checkoutAccount', '  - log: never') } });
    const r1 = await stop.run('t');
    assert.equal(r1.ok, true);
    assert.equal(r1.stopped?.reason, 'pool-empty');
    assert.match(r1.stopped?.message ?? '', /no available account/);

    const fail = harness({ accounts: new MemoryAccounts([]), routines: { t: y(APP, 'steps:', '  - checkoutAccount: { onEmpty: fail }') } });
    const r2 = await fail.run('t');
    assert.deepEqual([r2.ok, r2.error?.code, r2.error?.range?.start.line], [false, 'pool-empty', 3]);

    const accounts = new MemoryAccounts([]);
    const wait = harness({ accounts, routines: { t: y(APP, 'steps:', '  - checkoutAccount: { onEmpty: wait, inject: false }', '  - returnAccount: { reason: done }') } });
    const checkout = accounts.checkoutNext.bind(accounts);
    let asked = 0;
    accounts.checkoutNext = async () => {
      if (++asked === 3) {
        accounts.available.push(lease('late'));
      }
      return checkout();
    };
    const r3 = await wait.run('t');
    assert.equal(r3.ok, true, r3.error?.message);
    assert.equal(wait.clock.now(), 10_000);
    assert.deepEqual(accounts.calls.at(-1), { op: 'release', id: 'late', data: 'done' });
  });

  it('an account still leased when the run ends goes back to the pool', async () => {
    const accounts = new MemoryAccounts([lease('a1'), lease('a2')]);
    const h = harness({ accounts, routines: { ok: y(APP, 'steps:', '  - checkoutAccount'), bad: y(APP, 'steps:', '  - checkoutAccount', '  - fail: oops') } });
    await h.run('ok');
    await h.run('bad');
    assert.deepEqual(
      accounts.calls.filter((c) => c.op === 'release').map((c) => [c.id, c.data]),
      [
        ['a1', 'the routine ended without completing the account'],
        ['a2', 'the routine failed (fail)'],
      ],
    );
    assert.equal(accounts.leased.size, 0);
  });

  it('updateAccount sets and increments fields; getAccountField reads them with a default', async () => {
    const accounts = new MemoryAccounts([lease('a1', { hourglasses: 4, premium: false, name: '' })]);
    const h = harness({
      accounts,
      routines: {
        t: y(
          APP,
          'steps:',
          '  - checkoutAccount: { inject: false }',
          '  - updateAccount: { fields: { premium: true }, increment: { hourglasses: 2 } }',
          '  - getAccountField: { field: hourglasses, save: hg }',
          '  - getAccountField: { field: name, save: nm, default: anon }',
          '  - failAccount: { reason: "banned ${hg}" }',
        ),
      },
    });
    const r = await h.run('t');
    assert.equal(r.ok, true, r.error?.message);
    assert.deepEqual([r.variables.hg, r.variables.nm], [6, 'anon']);
    assert.deepEqual(
      accounts.calls.slice(1),
      [
        { op: 'update', id: 'a1', data: { premium: true, hourglasses: 6 } },
        { op: 'failed', id: 'a1', data: 'banned 6' },
      ],
    );
  });

  it('a file that does not read back identical fails the checkout and returns the account', async () => {
    const accounts = new MemoryAccounts([lease('a1')]);
    const h = harness({ accounts, routines: { t: y(APP, 'steps:', '  - checkoutAccount') } });
    h.device.pull = async () => new TextEncoder().encode('<map/>');
    const r = await h.run('t');
    assert.deepEqual([r.ok, r.error?.code, r.error?.range?.start.line], [false, 'inject-failed', 3]);
    assert.equal(h.device.inputs.filter((i) => i.kind === 'push').length, 2);
    assert.deepEqual(accounts.calls.at(-1)?.op, 'release');
    assert.equal(accounts.leased.size, 0);
  });

  it('account actions without a checkout are located errors', async () => {
    const h = harness({ accounts: new MemoryAccounts([]), routines: { t: y('steps:', '  - completeAccount') } });
    const r = await h.run('t');
    assert.deepEqual([r.error?.code, r.error?.range?.start.line], ['no-account', 2]);
  });
});
