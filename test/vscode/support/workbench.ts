/**
 * One VS Code window (a workbench page in Chromium) on a {@link VsCodeServer}, with the helpers browser tests use.
 * Every helper waits for a condition in the page, bounded by a timeout; none sleeps a fixed time.
 *
 * DOM notes (VS Code 1.100): the command palette and quick picks are `.quick-input-widget`; notifications are
 * `.notifications-toasts .notification-toast`; views are `.part.sidebar .pane`; tree rows are `.monaco-list-row`
 * with the label in `.label-name` and inline actions in `.actions .action-label`; a webview is
 * `iframe.webview.ready` (outer, in the workbench) holding `#active-frame` (the extension's document).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, ConsoleMessage, Frame, FrameLocator, Locator, Page } from 'playwright-core';
import { artifactsDir, recordScreenshot, slug } from './artifacts';
import type { VsCodeServer } from './server';

export type ThemeKind = 'light' | 'dark' | 'hc' | 'hc-light';

/** The built-in theme used for each kind, and the class the workbench element gets with it. */
export const THEMES: Record<ThemeKind, { name: string; cssClass: string }> = {
  light: { name: 'Default Light Modern', cssClass: 'vs' },
  dark: { name: 'Default Dark Modern', cssClass: 'vs-dark' },
  hc: { name: 'Default High Contrast', cssClass: 'hc-black' },
  'hc-light': { name: 'Default High Contrast Light', cssClass: 'hc-light' },
};

/** Parts of the workbench a screenshot can be limited to. */
export type WorkbenchPart = 'workbench' | 'sidebar' | 'panel' | 'editor' | 'activitybar' | 'statusbar' | 'titlebar' | 'auxiliarybar';

export interface OpenOptions {
  /** The folder to open (an absolute path on this machine; '' opens an empty window). */
  folder: string;
  /** Extra payload entries (extensionDevelopmentPath, extensionTestsPath...). `skipWelcome` is always set. */
  payload?: Array<[string, string]>;
  viewport?: { width: number; height: number };
  /** Called with every console message of the page. */
  onConsole?: (msg: ConsoleMessage) => void;
  /** Resolve before the workbench is restored (the extension-host suite waits for its result file instead). */
  noWait?: boolean;
}

export interface ScreenshotOptions {
  /** A part of the workbench, or any locator (default: the whole window). */
  part?: WorkbenchPart | Locator;
  /** A README candidate: `npm run screenshots` copies it to docs/images/<name>.png. The test title must hold `@readme`. */
  readme?: boolean;
}

/** Upper bound of every wait (generous: a loaded 2-core machine is slow; a wait ends as soon as its condition holds). */
const DEFAULT_TIMEOUT = 60_000;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regular expression matching `s` exactly, ignoring case (titles are upper-cased by CSS in places). */
function exactly(s: string): RegExp {
  return new RegExp(`^\\s*${escapeRegExp(s)}\\s*$`, 'i');
}

export class Workbench {
  /** Page errors and console errors of the window, for failure reports. */
  readonly consoleErrors: string[] = [];
  /** Set when the page crashed or closed on its own. */
  crashed?: string;
  /** The current mocha test's full title (set by the session), checked by `screenshot({ readme: true })`. */
  testTitle?: () => string | undefined;
  private closed = false;

  private constructor(
    readonly server: VsCodeServer,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly folder: string,
  ) {}

  /**
   * Opens a window on `folder` in a fresh browser context (its own browser storage, so nothing carries over from
   * another window) and waits until the workbench is restored.
   */
  static async open(browser: Browser, server: VsCodeServer, opts: OpenOptions): Promise<Workbench> {
    const viewport = opts.viewport ?? { width: 1280, height: 800 };
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, colorScheme: 'light', reducedMotion: 'reduce' });
    context.setDefaultTimeout(DEFAULT_TIMEOUT);
    const page = await context.newPage();
    const wb = new Workbench(server, context, page, opts.folder);
    page.on('console', (m) => {
      if (m.type() === 'error') {
        wb.consoleErrors.push(m.text());
      }
      opts.onConsole?.(m);
    });
    page.on('pageerror', (e) => wb.consoleErrors.push(`pageerror: ${e.stack ?? e.message}`));
    page.on('crash', () => (wb.crashed = 'the workbench page crashed'));
    page.on('close', () => {
      if (!wb.closed) {
        wb.crashed = 'the workbench page closed';
      }
    });
    await page.goto(server.url(opts.folder, opts.payload), { timeout: 60_000 });
    if (!opts.noWait) {
      await wb.whenRestored();
    }
    return wb;
  }

  /** Waits for the workbench to be restored (the smoke-test driver's signal: layout, views and editors are up). */
  async whenRestored(timeoutMs = 90_000): Promise<void> {
    await this.page.waitForFunction(() => (window as unknown as { driver?: unknown }).driver !== undefined, undefined, { timeout: timeoutMs, polling: 100 });
    await this.page.evaluate(() => (window as unknown as { driver: { whenWorkbenchRestored(): Promise<void> } }).driver.whenWorkbenchRestored());
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  }

  /**
   * Closes the window: navigates away (the workbench shuts its extension host down gracefully), waits until the
   * server's extension hosts have exited, and closes the browser context.
   */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    // After a crash there is no graceful shutdown to wait for (the server keeps such an extension host for its
    // reconnection grace time; stopping the server ends it).
    const graceful = !this.crashed && !this.page.isClosed();
    await this.server
      .expectExtensionHostExits(
        async () => {
          if (!this.page.isClosed()) {
            await this.page.goto('about:blank', { timeout: 30_000 }).catch(() => undefined);
          }
          await this.context.close().catch(() => undefined);
        },
        // This window's extension host (other windows of the server keep theirs).
        { exits: graceful ? 1 : 0 },
      )
      .catch(() => undefined);
  }

  // ---------------------------------------------------------------- palette and quick input

  /**
   * Runs a command through the command palette (F1) by its title as the palette shows it (`Category: Title`).
   * Retries while the command is not listed yet (extensions still registering), up to `timeoutMs`.
   */
  async runCommand(title: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT);
    let listed: string[] = [];
    for (let attempt = 1; ; attempt++) {
      await this.openQuickInput('F1', `>${title}`);
      const row = await this.findQuickItem(title, Math.min(1000 * attempt, Math.max(500, deadline - Date.now())));
      if (row) {
        await row.click();
        // The palette closes, or the command opens its own quick input (a wizard step) in the same widget.
        await this.page.waitForFunction(
          (v) => {
            const w = document.querySelector<HTMLElement>('.quick-input-widget');
            const input = w?.querySelector<HTMLInputElement>('.quick-input-box input');
            return !w || w.style.display === 'none' || w.offsetParent === null || input?.value !== v;
          },
          `>${title}`,
          { polling: 100 },
        );
        return;
      }
      listed = await this.quickItems();
      await this.page.keyboard.press('Escape');
      if (Date.now() >= deadline) {
        throw new Error(`no command "${title}" in the command palette (it lists: ${listed.slice(0, 10).join(' | ') || 'nothing'})`);
      }
    }
  }

  /**
   * Opens a workspace file in an editor through Quick Open (the palette without `>`), by its path relative to the
   * workspace folder, and waits until its tab is the active one.
   */
  async openFile(relPath: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const base = path.posix.basename(relPath);
    const dir = path.posix.dirname(relPath);
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT);
    for (let attempt = 1; ; attempt++) {
      await this.openQuickInput('F1', relPath);
      const row = this.page
        .locator('.quick-input-widget .quick-input-list .monaco-list-row')
        .filter({ has: this.page.locator('.label-name', { hasText: exactly(base) }) })
        .filter(dir === '.' ? {} : { has: this.page.locator('.label-description', { hasText: new RegExp(`(^|/)${escapeRegExp(dir)}$`) }) })
        .first();
      // A file created a moment ago may be missing from the file search's results: ask again.
      const found = await row
        .waitFor({ state: 'visible', timeout: Math.min(2000 * attempt, Math.max(500, deadline - Date.now())) })
        .then(() => true)
        .catch(() => false);
      if (found) {
        await row.click();
        break;
      }
      const listed = await this.quickItems();
      await this.page.keyboard.press('Escape');
      if (Date.now() >= deadline) {
        throw new Error(`Quick Open does not find ${relPath} (it lists: ${listed.slice(0, 10).join(' | ') || 'nothing'})`);
      }
    }
    await this.page.locator('.part.editor .tab.active', { hasText: base }).waitFor({ state: 'visible', timeout: Math.max(5000, deadline - Date.now()) });
  }

  /** Labels of the quick input's visible items. */
  async quickItems(): Promise<string[]> {
    return this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name').evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
  }

  /** Picks the item labelled `label` in the open quick pick (a wizard step, say), typing `filter` first if given. */
  async pickQuickItem(label: string, opts: { filter?: string; timeoutMs?: number } = {}): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    await widget.waitFor({ state: 'visible', timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT });
    if (opts.filter !== undefined) {
      await widget.locator('.quick-input-box input').fill(opts.filter);
    }
    const row = await this.findQuickItem(label, opts.timeoutMs ?? DEFAULT_TIMEOUT);
    if (!row) {
      throw new Error(`no item "${label}" in the quick pick (it lists: ${(await this.quickItems()).join(' | ')})`);
    }
    await row.click();
  }

  /** Types `text` into the open input box (or quick pick filter) and presses Enter. */
  async answerInput(text: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT });
    await input.fill(text);
    await input.press('Enter');
  }

  private async openQuickInput(key: string, value: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    // The widget of the previous command may still be closing when the key is pressed (the key then lands on the
    // closing widget, or closes it), and the input may close again before the value is typed (the workbench moved
    // the focus): wait until the input is shown and has the focus and the value is in, else close and press again.
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press(key);
      const opened = await this.page
        .waitForFunction(
          () => {
            const el = document.querySelector<HTMLInputElement>('.quick-input-widget .quick-input-box input');
            return !!el && el.offsetParent !== null && document.activeElement === el;
          },
          undefined,
          { polling: 50, timeout: 5000 },
        )
        .then(
          () => true,
          () => false,
        );
      const filled =
        opened &&
        (await input.fill(value, { timeout: 5000 }).then(
          () => true,
          () => false,
        ));
      if (filled) {
        return;
      }
      if (attempt >= 5) {
        throw new Error(`the quick input did not open with ${key}`);
      }
      await this.page.keyboard.press('Escape');
    }
  }

  private async findQuickItem(label: string, timeoutMs: number): Promise<Locator | undefined> {
    const row = this.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: exactly(label) }) })
      .first();
    try {
      await row.waitFor({ state: 'visible', timeout: timeoutMs });
      return row;
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------------------- text and notifications

  /**
   * Waits until the visible text (innerText) of an element matching `within` (default: the whole workbench)
   * contains `text`. Works for editors and the output panel (Monaco's non-breaking spaces are normalised); only
   * what is rendered counts, so scroll long documents into view first.
   */
  async waitForText(text: string | RegExp, opts: { within?: string; timeoutMs?: number } = {}): Promise<void> {
    const within = opts.within ?? '.monaco-workbench';
    const pattern = typeof text === 'string' ? { s: text } : { re: text.source, flags: text.flags };
    try {
      await this.page.waitForFunction(
        ({ sel, p }) =>
          [...document.querySelectorAll(sel)].some((e) => {
            const t = (e as HTMLElement).innerText.replace(/\u00a0/g, ' ');
            return 's' in p ? t.includes(p.s as string) : new RegExp(p.re as string, p.flags).test(t);
          }),
        { sel: within, p: pattern },
        { timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT, polling: 100 },
      );
    } catch (e) {
      const seen = await this.page
        .locator(within)
        .first()
        .innerText()
        .catch(() => '(nothing)');
      throw new Error(`text ${String(text)} did not appear in ${within}: ${(e as Error).message.split('\n')[0]}\nit shows: ${seen.replace(/\u00a0/g, ' ').slice(0, 1500)}`);
    }
  }

  /** Waits for a notification toast whose message contains `text`; returns the toast. */
  async waitForNotification(text: string | RegExp, opts: { timeoutMs?: number } = {}): Promise<Locator> {
    const toast = this.page.locator('.notifications-toasts .notification-toast').filter({ has: this.page.locator('.notification-list-item-message', { hasText: text }) }).first();
    await toast.waitFor({ state: 'visible', timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT });
    return toast;
  }

  /** Clicks a button (`Show Logs`, `Retry`...) of the notification whose message contains `text`. */
  async clickNotificationButton(text: string | RegExp, button: string): Promise<void> {
    const toast = await this.waitForNotification(text);
    await toast.locator('.monaco-button', { hasText: exactly(button) }).first().click();
  }

  // ---------------------------------------------------------------- views and trees

  /**
   * Opens a view container (activity bar entry) by its title, e.g. `Explorer` or `Emulator Fleet`. Does nothing
   * when it is already open; falls back to the palette's `View: Show <title>` when the activity bar has no such entry.
   */
  async openViewContainer(title: string): Promise<void> {
    const item = this.page.locator('.part.activitybar .action-item').filter({ has: this.page.locator(`.action-label[aria-label="${title}"], .action-label[aria-label^="${title} ("]`) }).first();
    if ((await item.count()) > 0) {
      const open = (await item.getAttribute('aria-pressed')) === 'true' || (await item.evaluate((e) => e.classList.contains('checked')));
      if (!open || !(await this.page.locator('.part.sidebar').isVisible())) {
        await item.click();
      }
    } else {
      await this.runCommand(`View: Show ${title}`);
    }
    await this.page.locator('.part.sidebar .composite.title .title-label h2').filter({ hasText: new RegExp(`^\\s*${escapeRegExp(title)}`, 'i') }).waitFor({ state: 'visible' });
  }

  /**
   * The pane of the view titled `title` in the side bar (expanded if it was collapsed). A container with one
   * view shows no pane header: then its only pane is returned.
   */
  async view(title: string): Promise<Locator> {
    const panes = this.page.locator('.part.sidebar .pane');
    const pane = panes.filter({ has: this.page.locator('.pane-header .title', { hasText: exactly(title) }) }).first();
    if ((await pane.count()) === 0 && (await panes.count()) === 1) {
      return panes.first();
    }
    await pane.waitFor({ state: 'visible' });
    const header = pane.locator('.pane-header').first();
    if ((await header.getAttribute('aria-expanded')) === 'false') {
      await header.click();
      await this.page.waitForFunction((h) => h.getAttribute('aria-expanded') === 'true', await header.elementHandle(), { polling: 100 });
    }
    return pane;
  }

  /**
   * The tree row labelled `label` (exact, by its `.label-name`) in the view `viewTitle`; with a path
   * (`['groups', 'premium_farmers.yaml']`) each parent is expanded first.
   */
  async treeItem(viewTitle: string, label: string | string[], opts: { timeoutMs?: number } = {}): Promise<Locator> {
    const pane = await this.view(viewTitle);
    const labels = Array.isArray(label) ? label : [label];
    let row: Locator | undefined;
    const rowOf = (l: string) => pane.locator('.monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: exactly(l) }) }).first();
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT);
    for (const [i, l] of labels.entries()) {
      row = rowOf(l);
      await row.waitFor({ state: 'visible', timeout: Math.max(1000, deadline - Date.now()) });
      if (i < labels.length - 1) {
        // A list that renders again while the row is expanded (a folder appearing above it) can leave the row
        // collapsed: expand until the child shows.
        const child = rowOf(labels[i + 1]!);
        for (;;) {
          await this.expandTreeItem(row);
          if (await child.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false)) {
            break;
          }
          if (Date.now() >= deadline) {
            throw new Error(`'${labels[i + 1]!}' did not show under '${l}' in the ${viewTitle} view`);
          }
        }
      }
    }
    return row!;
  }

  /** Expands a tree row (clicking its twistie, not its label, which would run the item's command). */
  async expandTreeItem(row: Locator): Promise<void> {
    if ((await row.getAttribute('aria-expanded')) === 'false') {
      await row.locator('.monaco-tl-twistie').click();
      // Through the locator, not an element handle: the list may render the row again (a folder appearing above
      // it), and a handle would watch the detached element forever.
      await row.and(this.page.locator('[aria-expanded="true"]')).waitFor();
    }
  }

  /**
   * Drags the sash on the side bar's right edge until the side bar is `width` CSS pixels wide (a README screenshot
   * shows the views' descriptions whole), and waits until the layout has it.
   */
  async resizeSidebar(width: number): Promise<void> {
    const sidebar = this.page.locator('.part.sidebar').first();
    const box = await sidebar.boundingBox();
    if (!box) {
      throw new Error('the side bar is not shown');
    }
    const edge = box.x + box.width;
    const sashes = this.page.locator('.monaco-grid-view .monaco-sash.vertical');
    let sash: { x: number; y: number; width: number; height: number } | undefined;
    for (let i = 0; i < (await sashes.count()); i++) {
      const b = await sashes.nth(i).boundingBox();
      if (b && Math.abs(b.x + b.width / 2 - edge) <= 4 && b.height >= box.height / 2) {
        sash = b;
        break;
      }
    }
    if (!sash) {
      throw new Error(`no sash on the side bar's right edge (x = ${edge})`);
    }
    const y = sash.y + sash.height / 2;
    await this.page.mouse.move(sash.x + sash.width / 2, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 8 });
    await this.page.mouse.up();
    await this.page.waitForFunction(
      ({ el, w }) => Math.abs((el as Element).getBoundingClientRect().width - w) <= 4,
      { el: await sidebar.elementHandle(), w: width },
      { polling: 100 },
    );
  }

  /** Clicks the inline action titled `title` (its tooltip, as in the manifest) of a tree row; hovers the row first. */
  async clickInlineAction(row: Locator, title: string): Promise<void> {
    await row.hover();
    const action = row.locator(`.monaco-action-bar .action-label[aria-label="${title}"], .monaco-action-bar .action-label[aria-label^="${title} ("]`).first();
    await action.waitFor({ state: 'visible' });
    await action.click();
  }

  // ---------------------------------------------------------------- webviews

  /**
   * The document of a visible webview (the extension's HTML), for locators: the workbench's `iframe.webview`
   * holds `#active-frame`. `extensionId` picks the webviews of one extension (`emulator-fleet.emulator-fleet`).
   */
  webview(opts: { extensionId?: string } = {}): FrameLocator {
    return this.page.frameLocator(this.webviewSelector(opts)).first().frameLocator('#active-frame');
  }

  /** The same document as a Frame (for `evaluate`); valid until the webview reloads its content. */
  async webviewFrame(opts: { extensionId?: string; timeoutMs?: number } = {}): Promise<Frame> {
    const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT;
    const outer = await this.page.waitForSelector(this.webviewSelector(opts), { timeout });
    const outerFrame = await outer.contentFrame();
    if (!outerFrame) {
      throw new Error('the webview iframe has no frame');
    }
    const inner = await outerFrame.waitForSelector('#active-frame', { timeout, state: 'attached' });
    const frame = await inner.contentFrame();
    if (!frame) {
      throw new Error('the webview has no active frame');
    }
    await frame.waitForLoadState('load', { timeout });
    return frame;
  }

  private webviewSelector(opts: { extensionId?: string }): string {
    return `iframe.webview.ready${opts.extensionId ? `[src*="extensionId=${opts.extensionId}"]` : ''}:visible`;
  }

  // ---------------------------------------------------------------- theme and screenshots

  /** Switches the colour theme (machine settings, applied live) and waits until the workbench wears it. */
  async setTheme(kind: ThemeKind): Promise<void> {
    const { name, cssClass } = THEMES[kind];
    this.server.setSettings({ 'workbench.colorTheme': name });
    await this.page.waitForFunction((c) => document.querySelector('.monaco-workbench')?.classList.contains(c) === true, cssClass, { timeout: DEFAULT_TIMEOUT, polling: 100 });
    await this.settle();
  }

  /** The theme kind the workbench wears now. */
  async theme(): Promise<ThemeKind | undefined> {
    const classes = (await this.page.getAttribute('.monaco-workbench', 'class')) ?? '';
    return (Object.keys(THEMES) as ThemeKind[]).find((k) => classes.split(/\s+/).includes(THEMES[k].cssClass));
  }

  /**
   * Saves a PNG of the window or of one part to `<artefacts>/screenshots/<name>.png` and records it in the
   * manifest. The mouse is parked on the title bar first, animations are finished and the caret is hidden.
   */
  async screenshot(name: string, opts: ScreenshotOptions = {}): Promise<string> {
    const test = this.testTitle?.();
    if (opts.readme && test !== undefined && !test.includes('@readme')) {
      throw new Error(`screenshot "${name}" is a README screenshot: put "@readme" in the title of its test ("${test}") so \`npm run screenshots\` runs it`);
    }
    const file = path.join(artifactsDir('screenshots'), `${slug(name)}.png`);
    mkdirSync(path.dirname(file), { recursive: true });
    const vp = this.page.viewportSize() ?? { width: 1280, height: 800 };
    await this.page.mouse.move(Math.round(vp.width * 0.8), 12);
    // Scroll bars shown by a recent scroll or hover fade out on their own; a screenshot waits for that (bounded:
    // a scroll bar that stays is photographed as it is).
    await this.page
      .waitForFunction(() => document.querySelectorAll('.monaco-workbench .monaco-scrollable-element > .scrollbar.visible').length === 0, undefined, { timeout: 5000, polling: 100 })
      .catch(() => undefined);
    // So do the progress bars and the activity bar's progress badge of a view that is refreshing (bounded too).
    await this.page
      .waitForFunction(
        () => document.querySelectorAll('.monaco-workbench .monaco-progress-container.active, .monaco-workbench .part.activitybar .badge.progress-badge').length === 0,
        undefined,
        { timeout: 5000, polling: 100 },
      )
      .catch(() => undefined);
    await this.settle();
    const target = opts.part === undefined || opts.part === 'workbench' ? undefined : typeof opts.part === 'string' ? this.page.locator(`.part.${opts.part}`).first() : opts.part;
    const shot = { path: file, animations: 'disabled', caret: 'hide', scale: 'css' } as const;
    if (target) {
      await target.screenshot(shot);
    } else {
      await this.page.screenshot(shot);
    }
    recordScreenshot({ name: slug(name), file, readme: opts.readme ?? false, theme: await this.theme(), ...(test ? { test } : {}) });
    return file;
  }

  /** Takes `<name>-<theme>` in each theme, then restores the theme it had. */
  async screenshotInThemes(name: string, themes: ThemeKind[], opts: ScreenshotOptions = {}): Promise<string[]> {
    const before = await this.theme();
    const files: string[] = [];
    for (const t of themes) {
      await this.setTheme(t);
      files.push(await this.screenshot(`${name}-${t}`, opts));
    }
    if (before) {
      await this.setTheme(before);
    }
    return files;
  }

  /** Saves a screenshot and the console errors of a failed test into the artefacts' failures folder. */
  async captureFailure(title: string): Promise<void> {
    const dir = artifactsDir('failures');
    const base = path.join(dir, slug(title));
    if (!this.page.isClosed()) {
      await this.page.screenshot({ path: `${base}.png`, timeout: 10_000 }).catch(() => undefined);
    }
    writeFileSync(`${base}.console.txt`, this.consoleErrors.join('\n'));
  }

  /** Waits two animation frames (layout and paint done after a change). */
  async settle(): Promise<void> {
    await this.page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  }

  // ---------------------------------------------------------------- developer views

  /**
   * Activation times as VS Code measured them (Developer: Show Running Extensions: code loading + activate call,
   * in ms), by the name the editor lists: the display name of an installed extension (`Emulator Fleet`), the id
   * of one under development. Waits until each has activated.
   */
  async activationTimes(names: string[], opts: { timeoutMs?: number } = {}): Promise<Record<string, { ms: number; startup: boolean }>> {
    const extensionIds = names;
    await this.runCommand('Developer: Show Running Extensions');
    const editor = this.page.locator('.runtime-extensions-editor');
    await editor.waitFor({ state: 'visible' });
    const out: Record<string, { ms: number; startup: boolean }> = {};
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT);
    while (Object.keys(out).length < extensionIds.length) {
      const rows = await editor.locator('.monaco-list-row').evaluateAll((els) =>
        els.map((e) => ({ name: e.querySelector('.name')?.textContent ?? '', time: e.querySelector('.activation-time')?.textContent ?? '' })),
      );
      for (const r of rows) {
        const m = /^(Startup )?Activation: (\d+)ms/.exec(r.time);
        if (m && extensionIds.includes(r.name)) {
          out[r.name] = { ms: Number(m[2]), startup: m[1] !== undefined };
        }
      }
      if (Object.keys(out).length === extensionIds.length) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`no activation time for ${extensionIds.filter((id) => !out[id]).join(', ')} (rows: ${JSON.stringify(rows)})`);
      }
      // Rows are virtualised and the editor re-renders when an extension activates: scroll and read again.
      await editor.locator('.monaco-list').first().hover();
      await this.page.mouse.wheel(0, 400);
      await this.settle();
    }
    return out;
  }
}
