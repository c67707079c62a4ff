import * as assert from 'node:assert/strict';
import { NodeProcessRunner } from '../../../src/host/nodePorts';

/** Runs this Node binary with a script. */
function node(script: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  return new NodeProcessRunner().run(process.execPath, ['-e', script], { timeoutMs: opts.timeoutMs ?? 10_000, signal: opts.signal });
}

describe('(unit) NodeProcessRunner', function () {
  this.timeout(15_000);

  it('gives the exit code and the output', async () => {
    const r = await node('process.stdout.write("out"); process.stderr.write("err"); process.exit(3)');
    assert.deepEqual([r.exitCode, r.stdout, r.stderr, r.timedOut, r.aborted, r.spawnError], [3, 'out', 'err', false, false, undefined]);
  });

  it('is done when the program exits, even if a program it started in the background keeps its output open', async () => {
    // The launcher pattern: start the emulator detached with inherited stdout, print, exit 0 at once.
    const bg = `const c = require("child_process").spawn(process.execPath, ["-e", "setTimeout(() => {}, 8000)"], { stdio: "inherit", detached: true }); c.unref(); console.log("started " + c.pid)`;
    const r = await node(bg, { timeoutMs: 5000 });
    const pid = Number(/started (\d+)/.exec(r.stdout)?.[1]);
    try {
      assert.equal(r.timedOut, false, 'the launcher itself exited at once');
      assert.equal(r.exitCode, 0);
      assert.match(r.stdout, /^started \d+\n$/);
    } finally {
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  it('kills a program that runs past its timeout, and one whose signal aborts', async () => {
    const slow = await node('setTimeout(() => {}, 60000)', { timeoutMs: 200 });
    assert.deepEqual([slow.timedOut, slow.exitCode], [true, null]);
    const ac = new AbortController();
    const p = node('setTimeout(() => {}, 60000)', { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const r = await p;
    assert.deepEqual([r.aborted, r.exitCode], [true, null]);
  });

  it('reports a program that cannot start', async () => {
    const r = await new NodeProcessRunner().run('/nonexistent/program', [], { timeoutMs: 1000 });
    assert.match(r.spawnError ?? '', /ENOENT/);
    assert.equal(r.exitCode, null);
  });
});
