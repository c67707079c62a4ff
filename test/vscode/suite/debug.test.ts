import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { fleetApi, ScriptedPrompter, testFleet } from './fleetHelpers';

const EXTENSION_ID = 'emulator-fleet.emulator-fleet';

/** The adapter's messages of every emulator-fleet session, as they are sent to VS Code. */
function trackEvents(): { next(event: string): Promise<{ session: vscode.DebugSession; body: Record<string, unknown> }>; dispose(): void } {
  const waiters: Array<{ event: string; resolve: (v: { session: vscode.DebugSession; body: Record<string, unknown> }) => void }> = [];
  const reg = vscode.debug.registerDebugAdapterTrackerFactory('emulator-fleet', {
    createDebugAdapterTracker: (session) => ({
      onDidSendMessage: (m: { type?: string; event?: string; body?: Record<string, unknown> }) => {
        if (m.type !== 'event') {
          return;
        }
        const i = waiters.findIndex((w) => w.event === m.event);
        if (i >= 0) {
          waiters.splice(i, 1)[0].resolve({ session, body: m.body ?? {} });
        }
      },
    }),
  });
  return {
    next: (event) => new Promise((resolve) => waiters.push({ event, resolve })),
    dispose: () => reg.dispose(),
  };
}

/** Stops a debug session and waits until VS Code says it ended. */
async function stopAndWait(session: vscode.DebugSession): Promise<void> {
  const terminated = new Promise<void>((resolve) => {
    const d = vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.id === session.id) {
        d.dispose();
        resolve();
      }
    });
  });
  await vscode.debug.stopDebugging(session);
  await terminated;
}

describe('(vscode) routine debugger', () => {
  it('startDebugging on a shipped routine stops at a breakpoint set in the editor', async function () {
    this.timeout(120_000);
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    const folder = vscode.workspace.workspaceFolders![0];
    const file = vscode.Uri.joinPath(folder.uri, 'routines', 'nav', 'to_home.yaml');
    // Line 24: the first step of the until loop's body (a fresh virtual device shows the title, not home).
    const bp = new vscode.SourceBreakpoint(new vscode.Location(file, new vscode.Position(23, 0)));
    vscode.debug.addBreakpoints([bp]);
    const events = trackEvents();
    try {
      const stopped = events.next('stopped');
      const started = await vscode.debug.startDebugging(folder, { type: 'emulator-fleet', request: 'launch', name: 'Debug nav/to_home', routine: 'nav/to_home', device: 'virtual' });
      assert.equal(started, true);
      const { session, body } = await stopped;
      assert.equal(body.reason, 'breakpoint');
      const trace = (await session.customRequest('stackTrace', { threadId: 1 })) as { stackFrames: Array<{ name: string; line: number; source?: { path?: string } }> };
      const top = trace.stackFrames[0];
      assert.equal(top.line, 24);
      // A remote extension host gets the path as a URI of the remote authority.
      assert.ok(top.source?.path?.endsWith(file.path), `${top.source?.path ?? ''} is ${file.path}`);
      await stopAndWait(session);
    } finally {
      events.dispose();
      vscode.debug.removeBreakpoints([bp]);
    }
  });

  it('a launch without "device" asks which device of the window\'s fleet (free ones, a new virtual device, the held ones) and runs on it', async function () {
    this.timeout(120_000);
    const api = await fleetApi();
    const fleet = await testFleet(api);
    const [mine] = await fleet.startVirtualDevices(1);
    const folder = vscode.workspace.workspaceFolders![0];
    const file = vscode.Uri.joinPath(folder.uri, 'routines', 'nav', 'to_home.yaml');
    const bp = new vscode.SourceBreakpoint(new vscode.Location(file, new vscode.Position(23, 0)));
    vscode.debug.addBreakpoints([bp]);
    const prompter = new ScriptedPrompter().pickLabel(mine!.serial);
    let shown: string[] = [];
    const pick = prompter.pick.bind(prompter);
    prompter.pick = (placeholder, items) => {
      shown = items.map((i) => `${i.label} | ${i.detail ?? ''}`);
      return pick(placeholder, items);
    };
    api.usePrompter(prompter);
    const events = trackEvents();
    try {
      const stopped = events.next('stopped');
      assert.equal(await vscode.debug.startDebugging(folder, { type: 'emulator-fleet', request: 'launch', name: 'Debug nav/to_home (picked)', routine: 'nav/to_home' }), true);
      const { session } = await stopped;
      assert.deepEqual(prompter.asked, ['pick: The device to debug the routine on']);
      assert.ok(shown.includes(`${mine!.serial} | free`), shown.join('; '));
      assert.ok(shown.some((l) => l.startsWith('New virtual device')), shown.join('; '));
      const threads = (await session.customRequest('threads')) as { threads: Array<{ name: string }> };
      assert.match(threads.threads[0]!.name, new RegExp(`on ${mine!.serial}$`), 'the picked device of the window\'s fleet');
      await stopAndWait(session);
      assert.ok(fleet.virtualDevices().some((v) => v.serial === mine!.serial), 'the fleet\'s device runs on after the session');
    } finally {
      events.dispose();
      api.usePrompter(undefined);
      vscode.debug.removeBreakpoints([bp]);
      await fleet.stopVirtualDevices([mine!.serial]);
    }
  });
});
