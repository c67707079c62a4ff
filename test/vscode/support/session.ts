/**
 * What the runner (test/vscode/run.ts) shares with the browser tests it runs: Chromium, the VS Code server that
 * loads the extension from the repository, fresh copies of the fleet workspace, and the open windows.
 *
 * A browser test file:
 *
 *     import { useWorkbench } from '../support/session';
 *     describe('(browser) logs', () => {
 *       const wb = useWorkbench();            // the shared window, reset before this block
 *       it('Show Logs shows the activation line', async () => {
 *         await wb().runCommand('Emulator Fleet: Show Logs');
 *         await wb().waitForText('Emulator Fleet activated', { within: '.part.panel' });
 *       });
 *     });
 */
import { mkdtempSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import type { VsCodeServer } from './server';
import { THEMES, Workbench, type ThemeKind } from './workbench';

export interface Session {
  readonly browser: Browser;
  /** The server whose extensions folder holds the repository's extension (dist/ as built). */
  readonly server: VsCodeServer;
  /** Parent folder for temporary workspaces (removed by the runner). */
  readonly tmp: string;
  /** A fresh copy of the fleet workspace (routines/, templates/, groups/, pools/) in a folder named `name`. */
  newWorkspace(name?: string): string;
  /** The full title of the running mocha test. */
  currentTest?: string;
}

let current: Session | undefined;
const open = new Set<Workbench>();
let shared: Workbench | undefined;

export function setSession(s: Session | undefined): void {
  current = s;
}

/** The runner's session; throws outside the runner (a browser test started by plain mocha). */
export function session(): Session {
  if (!current) {
    throw new Error('browser tests run inside test/vscode/run.ts (npm run test:vscode), not under plain mocha');
  }
  return current;
}

/** Every window open now (the runner captures them when a test fails and closes them at the end). */
export function openWorkbenches(): Workbench[] {
  return [...open];
}

/** Opens a window of the session's server on `folder` (default: a fresh workspace copy; '' no folder), tracked for cleanup. */
export async function openWorkbench(opts: { folder?: string; server?: VsCodeServer; theme?: ThemeKind } = {}): Promise<Workbench> {
  const s = session();
  const server = opts.server ?? s.server;
  if (opts.theme) {
    server.setSettings({ 'workbench.colorTheme': THEMES[opts.theme].name });
  }
  const wb = await Workbench.open(s.browser, server, { folder: opts.folder ?? s.newWorkspace() });
  wb.testTitle = () => session().currentTest;
  open.add(wb);
  const close = wb.close.bind(wb);
  wb.close = async () => {
    open.delete(wb);
    if (shared === wb) {
      shared = undefined;
    }
    await close();
  };
  return wb;
}

/**
 * Mocha helper for a `describe` block: returns a getter of the block's window.
 * - default: the run's shared window (opened on first use on a copy of the fleet workspace named `fleet`),
 *   reset before the block: quick input and notifications dismissed, editors closed, panel hidden, light theme,
 *   Explorer shown.
 * - `fresh: true`: a new window on a new workspace copy for this block alone, closed after it.
 */
export function useWorkbench(opts: { fresh?: boolean; theme?: ThemeKind } = {}): () => Workbench {
  let wb: Workbench | undefined;
  before(async function () {
    this.timeout(180_000);
    if (opts.fresh) {
      wb = await openWorkbench({ theme: opts.theme ?? 'light' });
    } else {
      if (!shared || shared.crashed) {
        shared = await openWorkbench({ folder: session().newWorkspace('fleet'), theme: 'light' });
      }
      wb = shared;
      await resetWorkbench(wb, opts.theme ?? 'light');
    }
  });
  after(async function () {
    this.timeout(60_000);
    if (opts.fresh) {
      await wb?.close();
    }
  });
  return () => {
    if (!wb) {
      throw new Error('the window is opened in a before hook: call the getter inside tests or hooks');
    }
    return wb;
  };
}

/** Brings the shared window back to a known state between describe blocks. */
export async function resetWorkbench(wb: Workbench, theme: ThemeKind): Promise<void> {
  await wb.page.keyboard.press('Escape');
  await wb.runCommand('Notifications: Clear All Notifications');
  await wb.runCommand('View: Close All Editors');
  if (await wb.page.locator('.part.panel').isVisible()) {
    await wb.runCommand('View: Hide Panel');
    await wb.page.locator('.part.panel').waitFor({ state: 'hidden' });
  }
  if ((await wb.theme()) !== theme) {
    await wb.setTheme(theme);
  }
  await wb.openViewContainer('Explorer');
}

/** Closes every window (end of run). */
export async function closeAllWorkbenches(): Promise<void> {
  for (const wb of [...open]) {
    await wb.close();
  }
}

/** `name` under the session's temp folder, unique. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(session().tmp, `${prefix}-`));
}
