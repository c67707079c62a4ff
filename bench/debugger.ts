/**
 * `npm run bench -- debugger [--rounds N]`
 *
 * The routine debugger through the Debug Adapter Protocol, the adapter in this process (as inline in VS Code) on a
 * virtual device, a DAP client over a local socket:
 * - `breakpointToStoppedEvent`: from the step before a breakpoint finishing (its log's output event leaving the
 *   session) to the stopped event leaving it: the step boundary, the breakpoint check and the stop, without transport;
 * - `continueToStopped`: a continue request to the next stop one loop round later (a variables step and an image
 *   condition run in between);
 * - step latencies: next over a variables step, stepIn through an image condition (a capture and a match) into the
 *   branch taken, stepIn into a call and stepOut of it, each request to its stopped event.
 * p50/p95/max in ms, one JSON line each.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fleetSessionHost } from '../src/extension/debug/fleetHost';
import { FleetDebugSession } from '../src/extension/debug/session';
import { nullLogger } from '../src/shared/loggers';
import { DapSession } from '../test/support/dapSession';
import { argValue, jsonLines, percentile, roundTo } from './stats';

const ROOT = path.resolve(__dirname, '..');

const MAIN = [
  'vars: { n: 0 }', // 1
  'steps:', // 2
  '  - repeat: 100000', // 3
  '    do:', // 4
  '      - log: "round ${n}"', // 5
  '      - increment: n', // 6
  '      - if: { image: title.tapToStart }', // 7
  '        then:', // 8
  '          - call: leaf', // 9
  '',
].join('\n');
const LEAF = ['steps:', '  - set: { x: 1 }', '  - set: { y: 2 }', ''].join('\n');

/** The session with the times its events leave it (in this process: no transport in the figure). */
class TimedSession extends FleetDebugSession {
  static lastLog = 0;
  static readonly logToStop: number[] = [];

  override sendEvent(event: DebugProtocol.Event): void {
    const now = performance.now();
    if (event.event === 'output' && String((event as DebugProtocol.OutputEvent).body.output).startsWith('round ')) {
      TimedSession.lastLog = now;
    } else if (event.event === 'stopped' && TimedSession.lastLog) {
      TimedSession.logToStop.push(now - TimedSession.lastLog);
      TimedSession.lastLog = 0;
    }
    super.sendEvent(event);
  }
}

function summary(ms: number[]): Record<string, number> {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: roundTo(percentile(s, 0.5), 2), p95: roundTo(percentile(s, 0.95), 2), max: roundTo(s[s.length - 1] ?? 0, 2) };
}

export async function run(args: string[]): Promise<void> {
  const out = jsonLines('debugger');
  const rounds = Number(argValue(args, 'rounds') ?? 40);
  const ws = mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-debugger-'));
  cpSync(path.join(ROOT, 'templates'), path.join(ws, 'templates'), { recursive: true });
  mkdirSync(path.join(ws, 'routines'));
  writeFileSync(path.join(ws, 'routines', 'main.yaml'), MAIN);
  writeFileSync(path.join(ws, 'routines', 'leaf.yaml'), LEAF);
  const host = fleetSessionHost({ logger: nullLogger });
  const server = net.createServer((socket) => {
    // No Nagle delay: inline in VS Code there is no socket at all; a delayed ACK would add ~40 ms to every reply.
    socket.setNoDelay(true);
    const session = new TimedSession(host);
    session.setRunAsServer(true);
    session.start(socket, socket);
    socket.on('close', () => void session.close());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const s = new DapSession(ws);
  try {
    await s.start((server.address() as net.AddressInfo).port);
    const t0 = performance.now();
    await s.begin('launch', { routine: 'main' }, async () => {
      await s.setBreakpoints('routines/main.yaml', [{ line: 6 }]);
    });
    const stopped = s.queue('stopped');
    await s.stopped();
    out({ metric: 'launchToFirstStop', ms: roundTo(performance.now() - t0, 1), note: 'configurationDone to the first stop, a virtual device started' });

    const contToStop: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const sent = performance.now();
      await s.dc.continueRequest({ threadId: 1 });
      await stopped.next();
      contToStop.push(performance.now() - sent);
    }
    out({ metric: 'breakpointToStoppedEvent', ...summary(TimedSession.logToStop.splice(0)) });
    out({ metric: 'continueToStopped', ...summary(contToStop) });

    await s.setBreakpoints('routines/main.yaml', []);
    const steps: Record<string, number[]> = { nextVariables: [], stepInImageCondition: [], stepInCall: [], stepOut: [] };
    // From line 6 (increment): next → 7 (the if), stepIn → 9 (the branch taken: a capture and a match), stepIn →
    // leaf:2 (into the call), stepOut → main:5 (the next round), next → 6.
    for (let i = 0; i < rounds; i++) {
      const t1 = performance.now();
      await s.dc.nextRequest({ threadId: 1 });
      await stopped.next();
      steps.nextVariables.push(performance.now() - t1);
      const t2 = performance.now();
      await s.dc.stepInRequest({ threadId: 1 });
      await stopped.next();
      steps.stepInImageCondition.push(performance.now() - t2);
      const t3 = performance.now();
      await s.dc.stepInRequest({ threadId: 1 });
      await stopped.next();
      steps.stepInCall.push(performance.now() - t3);
      const t4 = performance.now();
      await s.dc.stepOutRequest({ threadId: 1 });
      await stopped.next();
      steps.stepOut.push(performance.now() - t4);
      await s.dc.nextRequest({ threadId: 1 });
      await stopped.next();
    }
    for (const [name, ms] of Object.entries(steps)) {
      out({ metric: name, ...summary(ms) });
    }
    await s.dc.terminateRequest({});
    await s.terminated();
  } finally {
    await s.stop();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(ws, { recursive: true, force: true });
  }
}
