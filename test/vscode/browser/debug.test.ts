/**
 * The routine debugger in the real VS Code: a breakpoint set in the editor (F9), F5 on the routine (no launch.json:
 * the routine of the active editor on a new virtual device), the editor paused at the breakpoint's line (the
 * debugger's yellow line), and the Run and Debug side bar's Screen view with the device's frame, the boxes of the
 * last matches and the frames of the last steps; in light and dark theme for the README.
 */
import { strict as assert } from 'node:assert';
import { useWorkbench } from '../support/session';

const EXTENSION_ID = 'emulator-fleet.emulator-fleet';
/** `tap: title.tapToStart` in nav/to_home: a fresh virtual device shows the title, so the first round stops here. */
const LINE = 51;

describe('(browser) routine debugger', () => {
  const wb = useWorkbench();

  it('F5 on a routine stops at its breakpoint: the paused line, the Screen view with the frame and the last steps @readme', async () => {
    const w = wb();
    await w.openFile('routines/nav/to_home.yaml');
    await w.runCommand('Go to Line/Column...');
    await w.answerInput(`:${LINE}`);
    await w.page.keyboard.press('F9');
    const editor = w.page.locator('.part.editor .monaco-editor').first();
    await editor.locator('.codicon-debug-breakpoint').first().waitFor();
    await w.runCommand('Debug: Start Debugging');
    // The paused line: the top stack frame's decoration, on the breakpoint's line.
    const paused = editor.locator('.debug-top-stack-frame-line').first();
    await paused.waitFor({ timeout: 120_000 });
    await w.page.waitForFunction(
      (line) => document.querySelector('.part.editor .monaco-editor .line-numbers.active-line-number')?.textContent?.trim() === String(line),
      LINE,
      { timeout: 30_000 },
    );
    // The Screen view (Run and Debug side bar): the paused bot's frame, its matches, the frames of the last steps.
    await w.runCommand('Run and Debug: Focus on Screen View');
    const f = await w.webviewFrame({ extensionId: EXTENSION_ID });
    await f.waitForSelector('.debug-screen[data-state="stopped"] img.frame[src^="data:image/jpeg"]', { timeout: 60_000 });
    await f.waitForFunction(() => (document.querySelector<HTMLImageElement>('img.frame')?.naturalWidth ?? 0) > 0);
    const status = (await f.textContent('.status')) ?? '';
    assert.match(status, new RegExp(`Paused \\(breakpoint\\) · routines/nav/to_home\\.yaml:${LINE} · virtual-\\d+`));
    await f.waitForSelector('.history:not([hidden]) .shot img');
    const steps = await f.$$eval('.history .shot .step', (els) => els.map((e) => e.textContent ?? ''));
    assert.ok(steps.length >= 1 && steps.every((s) => /^[a-zA-Z]+ · line \d+$/.test(s)), steps.join(', '));
    // The README picture: the editor and the Screen view get the room (the other debug views folded, no panel).
    for (const title of ['Variables', 'Watch', 'Call Stack', 'Loaded Scripts', 'Breakpoints']) {
      const header = w.page.locator('.part.sidebar .pane-header.expanded').filter({ has: w.page.locator('h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) });
      if ((await header.count()) > 0) {
        await header.first().click();
      }
    }
    await w.runCommand('View: Toggle Panel Visibility');
    // A wider side bar (its sash dragged): the frame and the last steps side by side.
    const bar = (await w.page.locator('.part.sidebar').boundingBox())!;
    const edge = { x: bar.x + bar.width + 1, y: bar.y + bar.height / 2 };
    await w.page.mouse.move(edge.x, edge.y);
    await w.page.mouse.down();
    await w.page.mouse.move(edge.x + 200, edge.y, { steps: 8 });
    await w.page.mouse.up();
    await w.page.waitForFunction((x) => (document.querySelector('.part.sidebar')?.getBoundingClientRect().width ?? 0) > x, bar.width + 100);
    await w.screenshotInThemes('debugger', ['light', 'dark'], { readme: true });
    // An earlier step's frame shown large, then back to the paused one.
    await f.click('.history .shot');
    await f.waitForSelector('.debug-screen[data-viewing]');
    await f.click('button.back');
    await f.waitForSelector('.debug-screen:not([data-viewing])');
    await w.runCommand('Debug: Stop');
    await f.waitForSelector('.debug-screen[data-state="ended"]', { timeout: 60_000 });
  });
});
