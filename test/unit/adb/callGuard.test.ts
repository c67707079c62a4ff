import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { Parser } from '@devicefarmer/adbkit';
import { DeviceError, isDeviceError } from '../../../src/bot/device';
import { guardCall, toDeviceError } from '../../../src/bot/adb/callGuard';

describe('(unit) device call guard', () => {
  it('passes a result through and drops cleanups', async () => {
    let cleaned = false;
    const v = await guardCall({ what: 'x', timeoutMs: 1000 }, async (ctx) => {
      ctx.onCancel(() => (cleaned = true));
      return 42;
    });
    assert.equal(v, 42);
    assert.equal(cleaned, false);
  });

  it('times out, runs cleanups and ignores a late result', async () => {
    let cleaned = 0;
    let release!: () => void;
    const body = new Promise<void>((r) => (release = r));
    await assert.rejects(
      guardCall({ what: 'screenshot', serial: 's1', timeoutMs: 5 }, async (ctx) => {
        ctx.onCancel(() => cleaned++);
        await body;
        ctx.onCancel(() => cleaned++); // registered after the cut-off: runs at once
        throw new Error('late failure is swallowed');
      }),
      (e: unknown) => isDeviceError(e, 'timeout') && /screenshot timed out after 5 ?ms/.test(e.message) && e.serial === 's1',
    );
    assert.equal(cleaned, 1);
    release();
    await new Promise((r) => setImmediate(r));
    assert.equal(cleaned, 2);
  });

  it('aborts with the signal, before and during the call', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(guardCall({ what: 'tap', timeoutMs: 1000, signal: ac.signal }, async () => 1), (e: unknown) => isDeviceError(e, 'aborted'));
    const ac2 = new AbortController();
    let cleaned = false;
    const p = guardCall({ what: 'tap', timeoutMs: 10_000, signal: ac2.signal }, (ctx) => {
      ctx.onCancel(() => (cleaned = true));
      return new Promise(() => undefined);
    });
    ac2.abort();
    await assert.rejects(p, (e: unknown) => isDeviceError(e, 'aborted'));
    assert.ok(cleaned);
  });

  it('uses a DeviceError abort reason as the error', async () => {
    const ac = new AbortController();
    const p = guardCall({ what: 'tap', timeoutMs: 10_000, signal: ac.signal }, () => new Promise(() => undefined));
    ac.abort(new DeviceError('offline', 'closed'));
    await assert.rejects(p, (e: unknown) => isDeviceError(e, 'offline'));
  });

  it('listens to several signals for the call only: whichever fires cuts it off with its own reason', async () => {
    const device = new AbortController();
    const caller = new AbortController();
    const listeners = countAbortListeners;
    assert.equal(await guardCall({ what: 'tap', timeoutMs: 1000, signal: [caller.signal, device.signal] }, async () => 7), 7);
    assert.equal(listeners(device.signal), 0, 'no listener left behind on the long-lived signal');
    const p = guardCall({ what: 'tap', timeoutMs: 10_000, signal: [caller.signal, device.signal] }, () => new Promise(() => undefined));
    device.abort(new DeviceError('offline', 'closed'));
    await assert.rejects(p, (e: unknown) => isDeviceError(e, 'offline'));
    assert.equal(listeners(caller.signal), 0);
    const q = guardCall({ what: 'tap', timeoutMs: 10_000, signal: [caller.signal, new AbortController().signal] }, () => new Promise(() => undefined));
    caller.abort();
    await assert.rejects(q, (e: unknown) => isDeviceError(e, 'aborted'));
    await assert.rejects(guardCall({ what: 'tap', timeoutMs: 1000, signal: [new AbortController().signal, device.signal] }, async () => 1), (e: unknown) =>
      isDeviceError(e, 'offline'),
    );
  });

  it('runs cleanups when the body fails, and maps its error', async () => {
    let cleaned = false;
    await assert.rejects(
      guardCall({ what: 'shell', timeoutMs: 1000 }, async (ctx) => {
        ctx.onCancel(() => (cleaned = true));
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      }),
      (e: unknown) => isDeviceError(e, 'offline'),
    );
    assert.ok(cleaned);
  });

  it('maps adb errors to codes', () => {
    assert.equal(toDeviceError(new Parser.FailError("device 'x' not found"), 'w').code, 'offline');
    assert.equal(toDeviceError(new Parser.FailError('device offline'), 'w').code, 'offline');
    assert.equal(toDeviceError(new Parser.FailError('unknown host service'), 'w').code, 'command-failed');
    assert.equal(toDeviceError(new Parser.PrematureEOFError(4), 'w').code, 'offline');
    assert.equal(toDeviceError(new Parser.UnexpectedDataError('ABCD', 'OKAY'), 'w').code, 'protocol');
    assert.equal(toDeviceError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'w').code, 'offline');
    const own = new DeviceError('protocol', 'bad frame');
    assert.equal(toDeviceError(own, 'w'), own);
  });
});

/** Abort listeners currently registered on a signal. */
function countAbortListeners(sig: AbortSignal): number {
  return getEventListeners(sig, 'abort').length;
}
