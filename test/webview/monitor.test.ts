/**
 * The monitor webview in a real browser (Chromium through playwright-core): the built bundle under the extension's
 * CSP, a fake `acquireVsCodeApi` and a scripted host that sends real frames of the virtual device's game.
 * Every test checks that the page had no CSP violation and no uncaught error.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { FromMonitor } from '../../src/shared/monitorProtocol';
import type { FakeHost } from './harness/fakeHost';
import { EventFactory, demoFleet } from './fleetFixtures';
import { DEVICE, buildHarness, serveHarness, type HarnessServer } from './harnessBuilder';
import { randomHostMessage } from './randomMessages';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(__dirname, 'screenshots');
const PACKS_BUTTON = { x: 60, y: 380, w: 420, h: 120 };

type Win = Window & { harness: FakeHost; __monitor: { stats: { messages: number; ignored: number; failed: number; frames: number }; debug(): { seq: number } } };

describe('monitor webview (browser)', function () {
  this.timeout(120_000);
  let out: string;
  let userData: string;
  let server: HarnessServer;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'fleet-monitor-harness-'));
    userData = mkdtempSync(path.join(tmpdir(), 'fleet-monitor-chromium-'));
    await buildHarness(out);
    server = await serveHarness(out);
    context = await chromium.launchPersistentContext(userData, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1000, height: 900 },
    });
  });

  after(async () => {
    await context?.close();
    await server?.close();
    rmSync(out, { recursive: true, force: true });
    rmSync(userData, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (page && !page.isClosed()) {
      const { csp, errors } = await page.evaluate(() => ({ csp: (window as unknown as Win).harness.cspViolations, errors: (window as unknown as Win).harness.errors }));
      await page.close();
      if (this.currentTest?.state !== 'failed') {
        assert.deepEqual(csp, [], 'no CSP violation');
        assert.deepEqual([...errors, ...pageErrors], [], 'no uncaught error');
      }
    }
    pageErrors.length = 0;
  });

  async function open(query = 'scenario=demo', viewport = { width: 1000, height: 900 }): Promise<Page> {
    page = await context.newPage();
    await page.setViewportSize(viewport);
    page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
    await page.goto(server.url(query));
    await page.waitForFunction(() => document.querySelector('.card') !== null || document.querySelector('.empty p') !== null);
    return page;
  }

  function posted<T extends FromMonitor['type']>(type: T): Promise<Extract<FromMonitor, { type: T }>[]> {
    return page.evaluate((t) => (window as unknown as Win).harness.of(t), type as FromMonitor['type']) as unknown as Promise<Extract<FromMonitor, { type: T }>[]>;
  }

  /** Waits until the view posted a message of `type` whose JSON contains every given fragment. */
  async function waitPosted<T extends FromMonitor['type']>(type: T, ...fragments: string[]): Promise<Extract<FromMonitor, { type: T }>> {
    const h = await page.waitForFunction(
      ([t, frs]) => (window as unknown as Win).harness.of(t as FromMonitor['type']).find((m) => frs.every((f) => JSON.stringify(m).includes(f))),
      [type, fragments] as const,
    );
    return (await h.jsonValue()) as Extract<FromMonitor, { type: T }>;
  }

  function sendFrame(group: string, instance: string, asset: string, matches?: { template: string; box: typeof PACKS_BUTTON; score: number; found: boolean }[]): Promise<number> {
    return page.evaluate(([g, i, a, m]) => (window as unknown as Win).harness.frame(g, i, a, { matches: m }), [group, instance, asset, matches] as const);
  }

  function tile(group: string, instance: string): string {
    return `.card[data-group="${group}"] .tile[data-instance="${instance}"]`;
  }

  async function waitDrawn(selector: string, frame: number): Promise<void> {
    await page.waitForFunction(([s, f]) => document.querySelector<HTMLCanvasElement>(s)?.dataset.frame === String(f), [selector, frame] as const);
  }

  async function screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  it('renders one card per group with the seed mock-up facts and the buttons of its state', async () => {
    await open();
    const cards = await page.$$eval('.card', (els) =>
      els.map((c) => ({
        name: c.querySelector('.card-name')?.textContent,
        status: c.querySelector('.card-head .status')?.textContent,
        facts: [...c.querySelectorAll('.card-body > .fact')].filter((f) => !(f as HTMLElement).hidden).map((f) => f.textContent),
        buttons: [...c.querySelectorAll('.actions vscode-button')].map((b) => `${b.textContent}${b.hasAttribute('disabled') ? '(disabled)' : ''}`),
        tiles: c.querySelectorAll('.tile').length,
      })),
    );
    const by = Object.fromEntries(cards.map((c) => [c.name, c]));
    assert.deepEqual(by['Premium Farmers'], {
      name: 'Premium Farmers',
      status: '● Running',
      facts: ['Routine: farm_premium.yaml', 'Pool: 45/100 accounts', 'Active: Instance 1, Instance 2'],
      buttons: ['Pause', 'Stop', 'Edit', 'Delete'],
      tiles: 2,
    });
    assert.deepEqual(by['Wonder Pick Farmers'], {
      name: 'Wonder Pick Farmers',
      status: '○ Stopped',
      facts: ['Routine: wonder_pick.yaml', 'Pool: 20/50 accounts', 'Available: 4 instances'],
      buttons: ['Start', 'Edit', 'Delete'],
      tiles: 0,
    });
    assert.deepEqual(by['Mission Claimer'].buttons, ['Resume', 'Stop', 'Edit', 'Delete']);
    assert.equal(by['Mission Claimer'].status, '‖ Paused');
    assert.deepEqual(by.broken.buttons, ['Start(disabled)', 'Edit', 'Delete']);
    assert.equal(by.broken.status, '⚠ Invalid');
    assert.match(await page.textContent('.card[data-group="broken"] .problems') ?? '', /groups\/broken\.yaml:3:1: unknown key "routin"/);
    assert.equal(await page.textContent('.toolbar .summary'), '2 running · 3 bots');
    // The view said hello first and told the host which tiles are on screen, and again after a scroll.
    const first = await page.evaluate(() => (window as unknown as Win).harness.posted[0]);
    assert.equal(first.type, 'ready');
    const vis1 = await waitPosted('setVisibleTiles', 'Mission Claimer');
    assert.deepEqual(vis1.bots, [{ group: 'Mission Claimer', instance: '5' }]);
    await page.$eval(tile('Premium Farmers', '2'), (e) => e.scrollIntoView({ block: 'end' }));
    const vis2 = await waitPosted('setVisibleTiles', 'Premium Farmers', '"instance":"2"');
    assert.ok(vis2.bots.some((b) => b.group === 'Premium Farmers' && b.instance === '1'));
  });

  it('posts the command of each button, shows it pending, and reports a failure', async () => {
    await open();
    await page.evaluate(() => ((window as unknown as Win).harness.holdReplies = true));
    await page.click('.card[data-group="Wonder Pick Farmers"] vscode-button[data-action="start"]');
    const start = await waitPosted('command', '"action":"start"');
    assert.deepEqual(start.command, { kind: 'group', action: 'start', group: 'Wonder Pick Farmers' });
    // Pending: the button says so and is disabled until the host answers.
    await page.waitForFunction(() => document.querySelector('.card[data-group="Wonder Pick Farmers"] vscode-button[data-action="start"]')?.hasAttribute('disabled'));
    assert.equal(await page.textContent('.card[data-group="Wonder Pick Farmers"] vscode-button[data-action="start"]'), 'Start…');
    await page.evaluate((id) => {
      const h = (window as unknown as Win).harness;
      h.holdReplies = false;
      h.send({ type: 'result', inReplyTo: id, ok: true });
    }, start.id);
    await page.waitForFunction(() => !document.querySelector('.card[data-group="Wonder Pick Farmers"] vscode-button[data-action="start"]')?.hasAttribute('disabled'));

    for (const [group, action] of [
      ['Premium Farmers', 'pause'],
      ['Premium Farmers', 'stop'],
      ['Mission Claimer', 'resume'],
      ['Wonder Pick Farmers', 'edit'],
      ['Wonder Pick Farmers', 'delete'],
    ] as const) {
      await page.click(`.card[data-group="${group}"] vscode-button[data-action="${action}"]`);
      const m = await waitPosted('command', `"action":"${action}"`, `"group":"${group}"`);
      assert.deepEqual(m.command, { kind: 'group', action, group });
    }
    await page.click('.toolbar vscode-button');
    await waitPosted('command', '"kind":"createGroup"');
    await page.click('.card[data-group="Premium Farmers"] button.link');
    const open1 = await waitPosted('command', '"kind":"openRoutine"');
    assert.deepEqual(open1.command, { kind: 'openRoutine', routine: 'farm_premium' });
    // A disabled button posts nothing.
    const before = (await posted('command')).length;
    await page.click('.card[data-group="broken"] vscode-button[data-action="start"]', { force: true });
    // A failure is announced.
    await page.evaluate(() => ((window as unknown as Win).harness.failNext = { code: 'busy', message: 'instance 1 is held by Premium Farmers' }));
    await page.click('.card[data-group="Wonder Pick Farmers"] vscode-button[data-action="start"]');
    await page.waitForFunction(() => document.querySelector('.announce')?.textContent?.includes('instance 1 is held by Premium Farmers'));
    assert.equal(await page.textContent('.announce'), 'Could not start Wonder Pick Farmers: instance 1 is held by Premium Farmers');
    assert.equal((await posted('command')).length, before + 1, 'only the enabled Start posted');
  });

  it('shows changing images on the tiles, drawn only once decoded, with the match boxes and scores', async () => {
    await open();
    const sel = tile('Premium Farmers', '1');
    await page.waitForSelector(sel);
    const matches = [
      { template: 'home.packsButton', box: PACKS_BUTTON, score: 0.97, found: true },
      { template: 'popup.retry', box: { x: 150, y: 590, w: 240, h: 80 }, score: 0.41, found: false },
    ];
    const n1 = await sendFrame('Premium Farmers', '1', 'home', matches);
    await waitDrawn(`${sel} .screen-image`, n1);
    const pixels = () =>
      page.$eval(`${sel} .screen-image`, (c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 97) {
          sum = (sum * 31 + d[i]) % 1_000_003;
        }
        return { w: canvas.width, h: canvas.height, sum };
      });
    const p1 = await pixels();
    assert.deepEqual([p1.w, p1.h], [270, 480]);
    const n2 = await sendFrame('Premium Farmers', '1', 'packs');
    await waitDrawn(`${sel} .screen-image`, n2);
    const p2 = await pixels();
    assert.notEqual(p2.sum, p1.sum, 'the image changed');
    // The tile acknowledged both frames (the host sends one frame per bot at a time).
    await waitPosted('frameAck', '"frame":2', '"instance":"1"');
    assert.deepEqual(
      (await posted('frameAck')).map((a) => a.frame),
      [1, 2],
    );
    // The boxes of the matches, with their scores, in the theme's colours.
    const overlay = await page.$eval(`${sel} .screen-overlay`, (c) => {
      const canvas = c as HTMLCanvasElement;
      const r = canvas.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      // The top edge of the found box: device (60..480, 380) scaled to the tile (the most opaque of a few rows).
      const x = Math.round(((60 + 240) / 540) * r.width * dpr);
      const y0 = Math.round((380 / 960) * r.height * dpr);
      let px = new Uint8ClampedArray(4);
      for (let y = y0 - 2; y <= y0 + 3; y++) {
        const p = canvas.getContext('2d')!.getImageData(x, y, 1, 1).data;
        if (p[3] > px[3]) {
          px = p;
        }
      }
      const green = getComputedStyle(document.body).getPropertyValue('--vscode-charts-green').trim();
      return { labels: canvas.dataset.matches, px: [...px], green };
    });
    // A tile draws the found match only (the 0.41 miss is listed in the zoom).
    assert.equal(overlay.labels, '0.97');
    assert.equal(overlay.green, '#89d185');
    assert.ok(overlay.px[3] > 200, `the box edge is drawn (alpha ${overlay.px[3]})`);
    assert.ok(Math.abs(overlay.px[0] - 0x89) < 40 && Math.abs(overlay.px[1] - 0xd1) < 40, `green box edge, got ${overlay.px}`);
    // The step's matches from events show on the tile too.
    const ev = new EventFactory(10);
    const { running } = demoFleet();
    await page.evaluate(
      (events) => (window as unknown as Win).harness.send({ type: 'events', events }),
      [ev.step(running.bots[0], 'start', 'tap home.packsButton', 'steps[3]', 14), ev.match(running.bots[0], 'home.packsButton', 0.98, PACKS_BUTTON)],
    );
    await page.waitForFunction((s) => document.querySelector(`${s} .tile-matches`)?.textContent === '◆ 0.98 home.packsButton', sel);
    await page.waitForFunction((s) => document.querySelector<HTMLCanvasElement>(`${s} .screen-overlay`)?.dataset.matches === '0.98', sel);
    assert.equal(await page.$eval(`${sel} .tile-matches`, (e) => e.classList.contains('tile-muted')), false);
    // The next step (a wait) matches nothing: the tile keeps the last scores, muted, and says they are earlier ones.
    await page.evaluate((events) => (window as unknown as Win).harness.send({ type: 'events', events }), [ev.step(running.bots[0], 'start', 'wait', 'steps[4]', 15)]);
    await page.waitForFunction((s) => document.querySelector(`${s} .tile-matches`)?.textContent === 'last: ◆ 0.98 home.packsButton', sel);
    const last = await page.$eval(`${sel} .tile-matches`, (e) => ({ muted: e.classList.contains('tile-muted'), title: e.getAttribute('title') }));
    assert.equal(last.muted, true);
    assert.match(last.title ?? '', /^Matches of an earlier step \(tap home\.packsButton\); this step has none yet:\nhome\.packsButton 0\.98$/);
  });

  it('redraws the boxes in the new colours when the theme changes', async () => {
    await open();
    const sel = tile('Premium Farmers', '1');
    await page.waitForSelector(sel);
    const n = await sendFrame('Premium Farmers', '1', 'home', [{ template: 'home.packsButton', box: PACKS_BUTTON, score: 0.97, found: true }]);
    await waitDrawn(`${sel} .screen-image`, n);
    const labelColor = (s: string) =>
      page.$eval(`${s} .screen-overlay`, (c) => {
        const canvas = c as HTMLCanvasElement;
        const r = canvas.getBoundingClientRect();
        const dpr = window.devicePixelRatio || 1;
        // Inside the score label drawn just above the box's top-left corner.
        const p = canvas.getContext('2d')!.getImageData(Math.round(((60 + 2) / 540) * r.width * dpr), Math.round(((380 / 960) * r.height - 3) * dpr), 1, 1).data;
        return `#${[p[0], p[1], p[2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
      });
    assert.equal(await labelColor(sel), '#89d185');
    await page.evaluate(() => (window as unknown as Win).harness.setTheme('light'));
    await page.waitForFunction((s) => {
      const c = document.querySelector<HTMLCanvasElement>(`${s} .screen-overlay`)!;
      const r = c.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      const p = c.getContext('2d')!.getImageData(Math.round(((60 + 2) / 540) * r.width * dpr), Math.round(((380 / 960) * r.height - 3) * dpr), 1, 1).data;
      return p[0] === 0x38 && p[1] === 0x8a && p[2] === 0x34;
    }, sel);
  });

  it('decodes at most one frame at a time per tile, acknowledges every frame, and shows the newest', async () => {
    await open();
    const sel = tile('Premium Farmers', '1');
    await page.waitForSelector(sel);
    await page.evaluate(() => {
      const w = window as unknown as { createImageBitmap: typeof createImageBitmap; __decodes: { now: number; max: number; total: number } };
      const original = w.createImageBitmap.bind(window);
      w.__decodes = { now: 0, max: 0, total: 0 };
      w.createImageBitmap = (async (...args: Parameters<typeof createImageBitmap>) => {
        const d = w.__decodes;
        d.now++;
        d.total++;
        d.max = Math.max(d.max, d.now);
        try {
          return await original(...args);
        } finally {
          d.now--;
        }
      }) as typeof createImageBitmap;
      for (let i = 0; i < 10; i++) {
        (window as unknown as Win).harness.frame('Premium Farmers', '1', i % 2 ? 'packs' : 'home');
      }
    });
    await waitDrawn(`${sel} .screen-image`, 10);
    await waitPosted('frameAck', '"frame":10');
    const decodes = await page.evaluate(() => (window as unknown as { __decodes: { max: number; total: number } }).__decodes);
    assert.equal(decodes.max, 1, 'one decode in flight');
    assert.ok(decodes.total <= 10);
    assert.deepEqual(
      (await posted('frameAck')).map((a) => a.frame).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      'dropped frames are acknowledged too',
    );
  });

  it('zooms a tile on click: the larger screen, every match of the step, and its routine location', async () => {
    await open();
    const sel = tile('Premium Farmers', '2');
    await page.waitForSelector(sel);
    const ev = new EventFactory(10);
    const b2 = demoFleet().running.bots[1];
    await page.evaluate(
      (events) => (window as unknown as Win).harness.send({ type: 'events', events }),
      [
        ev.step(b2, 'start', 'waitFor home.banner', 'steps[4]', 21),
        ev.match(b2, 'home.banner', 0.95, { x: 0, y: 44, w: 540, h: 84 }),
        ev.match(b2, 'home.packsButton', 0.93, PACKS_BUTTON),
        ev.match(b2, 'popup.close', 0.22, { x: 434, y: 280, w: 56, h: 56 }),
      ],
    );
    const tileWidth = await page.$eval(sel, (e) => e.getBoundingClientRect().width);
    await page.click(sel);
    await page.waitForSelector('.zoom:not([hidden])');
    assert.equal(await page.isHidden('.list'), true);
    const z = await waitPosted('zoom', '"instance":"2"');
    assert.deepEqual(z.bot, { group: 'Premium Farmers', instance: '2' });
    await waitPosted('setVisibleTiles', '"bots":[]');
    const n = await sendFrame('Premium Farmers', '2', 'home');
    await waitDrawn('.zoom .screen-image', n);
    const size = await page.$eval('.zoom-screen', (e) => e.getBoundingClientRect().width);
    assert.ok(size > 1.5 * tileWidth, `the zoom (${size}px wide) is larger than the tile (${tileWidth}px)`);
    assert.equal(await page.textContent('.zoom-title'), 'Instance 2 · Premium Farmers');
    assert.deepEqual(
      await page.$$eval('.match-list li', (ls) => ls.map((l) => l.textContent)),
      ['◆ home.banner 0.95 (needs 0.90)', '◆ home.packsButton 0.93 (needs 0.90)', '◇ popup.close 0.22 (needs 0.90)'],
    );
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('.zoom .screen-overlay')?.dataset.matches === 'popup.close 0.22|home.banner 0.95|home.packsButton 0.93');
    assert.equal(await page.textContent('.zoom-side .fact'), 'Step: waitFor home.banner — farm_premium.yaml:21');
    await page.click('.zoom-side button.link');
    const cmd = await waitPosted('command', '"kind":"openRoutine"');
    assert.deepEqual(cmd.command, { kind: 'openRoutine', location: { file: 'routines/farm_premium.yaml', line: 21, col: 5 } });
    // Escape goes back to the list, the zoom ends, and the focus returns to the tile.
    await page.keyboard.press('Escape');
    await page.waitForSelector('.zoom', { state: 'hidden' });
    await waitPosted('zoom', '"bot":null');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-bot')), 'Premium Farmers\u0000' + '2');
  });

  it('takeover of a paused bot: a click taps and a drag swipes in device pixels, typing types, Enter and Backspace are keys', async () => {
    // A narrow, odd-sized panel: the 270x480 frames of the 540x960 device are shown at a size that is no multiple of either.
    await open('scenario=demo', { width: 777, height: 701 });
    const sel = tile('Mission Claimer', '5');
    await page.waitForSelector(sel);
    await page.click(sel);
    await page.waitForSelector('.zoom:not([hidden])');
    assert.equal(await page.isVisible('#takeover-banner'), true);
    assert.match((await page.textContent('#takeover-banner')) ?? '', /You have control — .*Resume hands it back/);
    const n = await sendFrame('Mission Claimer', '5', 'missions');
    await waitDrawn('.zoom .screen-image', n);
    const box = (await page.$eval('.zoom .screen-image', (e) => {
      const r = e.getBoundingClientRect();
      return { left: r.left, top: r.top, width: r.width, height: r.height };
    }))!;
    assert.notEqual(box.width, DEVICE.width / 2);
    assert.ok(Math.abs(box.width / box.height - 540 / 960) < 0.01, `aspect kept: ${box.width}x${box.height}`);
    const at = (dx: number, dy: number) => ({ x: box.left + ((dx + 0.5) / DEVICE.width) * box.width, y: box.top + ((dy + 0.5) / DEVICE.height) * box.height });
    // Tap the first Claim button's centre: (430, 225) on the device.
    const p = at(430, 225);
    await page.mouse.click(p.x, p.y);
    const tap = await waitPosted('takeover', '"kind":"tap"');
    assert.deepEqual(tap.bot, { group: 'Mission Claimer', instance: '5' });
    assert.deepEqual(tap.input, { kind: 'tap', x: 430, y: 225 });
    // Drag from (270, 800) to (270, 300): a swipe with the drag's duration.
    const a = at(270, 800);
    const b = at(270, 300);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) {
      await page.mouse.move(a.x, a.y + ((b.y - a.y) * i) / 10);
    }
    await page.mouse.up();
    const swipe = await waitPosted('takeover', '"kind":"swipe"');
    assert.equal(swipe.input.kind, 'swipe');
    if (swipe.input.kind === 'swipe') {
      assert.deepEqual(swipe.input.from, { x: 270, y: 800 });
      assert.deepEqual(swipe.input.to, { x: 270, y: 300 });
      assert.ok(swipe.input.durationMs >= 1);
    }
    // Typing becomes text; Enter and Backspace become keys (the text typed before goes first).
    await page.focus('.zoom-screen');
    await page.keyboard.type('hello ünïcode');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Backspace');
    await waitPosted('takeover', '"key":"backspace"');
    const inputs = (await posted('takeover')).map((m) => m.input).slice(2);
    assert.deepEqual(inputs, [
      { kind: 'text', text: 'hello ünïcode' },
      { kind: 'key', key: 'enter' },
      { kind: 'key', key: 'backspace' },
    ]);
    // Resume hands control back.
    await page.click('#takeover-banner vscode-button');
    const resume = await waitPosted('command', '"action":"resume"');
    assert.deepEqual(resume.command, { kind: 'bot', action: 'resume', bot: { group: 'Mission Claimer', instance: '5' } });
  });

  it('does not take over a running bot: clicks on its screen send nothing', async () => {
    await open();
    const sel = tile('Premium Farmers', '1');
    await page.waitForSelector(sel);
    await page.click(sel);
    await page.waitForSelector('.zoom:not([hidden])');
    const n = await sendFrame('Premium Farmers', '1', 'home');
    await waitDrawn('.zoom .screen-image', n);
    assert.equal(await page.isHidden('#takeover-banner'), true);
    await page.click('.zoom-screen');
    await page.keyboard.type('abc');
    await page.click('.zoom-actions vscode-button:not([hidden])');
    const pause = await waitPosted('command', '"action":"pause"');
    assert.deepEqual(pause.command, { kind: 'bot', action: 'pause', bot: { group: 'Premium Farmers', instance: '1' } });
    await page.click('.zoom-actions vscode-button:nth-child(2)');
    const restart = await waitPosted('command', '"action":"restart"');
    assert.deepEqual(restart.command, { kind: 'bot', action: 'restart', bot: { group: 'Premium Farmers', instance: '1' } });
    assert.deepEqual(await posted('takeover'), []);
  });

  it('scrubs back through the recorder with the events around each frame, and saves frames and bug reports', async () => {
    await open();
    const sel = tile('Premium Farmers', '1');
    await page.waitForSelector(sel);
    let last = 0;
    for (const [asset, score] of [
      ['title', 0.5],
      ['home', 0.97],
      ['packs', 0.3],
    ] as const) {
      last = await sendFrame('Premium Farmers', '1', asset, [{ template: 'home.packsButton', box: PACKS_BUTTON, score, found: score > 0.9 }]);
      await waitDrawn(`${sel} .screen-image`, last);
    }
    await page.click(sel);
    await waitPosted('recorder', '"op":"list"');
    await page.waitForFunction(() => document.querySelector<HTMLInputElement>('.timeline-range')?.max === '3');
    assert.match((await page.textContent('.timeline-label')) ?? '', /^Live · 3 of 120 frames recorded/);
    // Keyboard scrubbing: Home goes to the oldest frame.
    await page.focus('.timeline-range');
    await page.keyboard.press('Home');
    await waitPosted('recorder', '"op":"frame"', '"frame":1');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.zoom')?.dataset.shownFrame === '1');
    assert.match((await page.textContent('.timeline-label')) ?? '', /^Frame 1 of 3 · \d\d:\d\d:\d\d\.\d{3} \(−\d/);
    const events = await page.$$eval('.event-list li', (ls) => ls.map((l) => l.textContent));
    assert.deepEqual(events, [
      '−0.04 s ▶ recorded step of frame 1',
      '+0.01 s ◇ home.packsButton 0.50 < 0.90',
      '+0.02 s Routine: tap 270,440 · Open packs',
      '+0.03 s You: tap 10,20',
    ]);
    // The routine's tap and the user's are told apart (their own look, and data-by).
    assert.deepEqual(await page.$$eval('.event-list li[data-by]', (ls) => ls.map((l) => [l.getAttribute('data-by'), l.className])), [
      ['routine', 'input-routine'],
      ['user', 'input-user'],
    ]);
    assert.match((await page.textContent('.timeline-label')) ?? '', / · JPEG only$/);
    assert.equal(await page.getAttribute('.zoom .screen-overlay', 'data-matches'), 'home.packsButton 0.50');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.zoom')?.dataset.shownFrame === '2');
    assert.equal(await page.getAttribute('.zoom .screen-overlay', 'data-matches'), 'home.packsButton 0.97');
    // Save the frame shown: only its JPEG is left, and the message says so.
    await page.click('.zoom-save vscode-button:nth-child(1)');
    const save = await waitPosted('recorder', '"op":"saveFrame"');
    assert.deepEqual(save.request, { op: 'saveFrame', bot: { group: 'Premium Farmers', instance: '1' }, frame: 2 });
    await page.waitForFunction(
      () => document.querySelector('.zoom-status')?.textContent === 'Frame saved as its recorded JPEG (only its recorded JPEG is left): .fleet/frames/Premium Farmers-1-2-recorded.jpg',
    );
    // The newest recorded frame still has its lossless copy: a PNG.
    await page.focus('.timeline-range');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.zoom')?.dataset.shownFrame === '3');
    assert.match((await page.textContent('.timeline-label')) ?? '', / · lossless$/);
    await page.click('.zoom-save vscode-button:nth-child(1)');
    await waitPosted('recorder', '"op":"saveFrame"', '"frame":3');
    await page.waitForFunction(() => document.querySelector('.zoom-status')?.textContent === 'Frame saved losslessly (PNG): .fleet/frames/Premium Farmers-1-3.png');
    await page.click('.zoom-save vscode-button:nth-child(2)');
    await waitPosted('recorder', '"op":"saveBugReport"');
    await page.waitForFunction(() => document.querySelector('.zoom-status')?.textContent === 'Bug report written: .fleet/bug-reports/Premium Farmers-1');
    // Save bug report as…: the host asks for the folder.
    await page.click('.zoom-save vscode-button:nth-child(3)');
    await waitPosted('recorder', '"askFolder":true');
    await page.waitForFunction(() => document.querySelector('.zoom-status')?.textContent === 'Bug report written: /picked/Premium Farmers-1');
    // End (or the Live button) returns to the live screen.
    await page.focus('.timeline-range');
    await page.keyboard.press('End');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.zoom')?.dataset.mode === 'live');
    await waitDrawn('.zoom .screen-image', last);
    // A frame that left the recorder is reported, not shown.
    await page.evaluate(() => ((window as unknown as Win).harness.failNext = { code: 'evicted', message: 'frame 1 is no longer recorded' }));
    await page.focus('.timeline-range');
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('.zoom-status')?.textContent?.includes('frame 1 is no longer recorded'));
  });

  it('is keyboard accessible: Tab reaches the controls in order, Enter and Space open a tile, Enter collapses a card', async () => {
    await open();
    const order: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const d = await page.evaluate(() => {
        const a = document.activeElement as HTMLElement | null;
        return a ? (a.dataset.bot ? `tile:${a.dataset.bot.replace('\u0000', '/')}` : (a.getAttribute('aria-label') ?? a.textContent ?? a.tagName)) : '';
      });
      order.push(d);
      if (d === 'tile:Premium Farmers/1') {
        break;
      }
    }
    // + Create first, then the cards in order (by name) with their controls.
    assert.equal(order[0], 'Create a group');
    assert.equal(order[1], 'A group with a very long name that does not fit on one line of a narrow panel');
    assert.ok(order.indexOf('Mission Claimer') < order.indexOf('Premium Farmers'));
    const iPremium = order.indexOf('Premium Farmers');
    assert.ok(iPremium > 0, `the card toggle is focusable: ${order.join(', ')}`);
    assert.deepEqual(order.slice(iPremium + 1), ['Open routine farm_premium.yaml', 'Pause Premium Farmers', 'Stop Premium Farmers', 'Edit Premium Farmers', 'Delete Premium Farmers', 'tile:Premium Farmers/1']);
    // The focused tile shows a focus ring.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.equal(outline, 'solid');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.zoom:not([hidden])');
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'zoom-screen');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.zoom', { state: 'hidden' });
    await page.keyboard.press('Tab');
    await page.keyboard.press(' ');
    await page.waitForSelector('.zoom:not([hidden])');
    assert.equal(await page.textContent('.zoom-title'), 'Instance 2 · Premium Farmers');
    await page.keyboard.press('Escape');
    // Space on a vscode-button acts too: Pause on the card.
    await page.focus('.card[data-group="Premium Farmers"] vscode-button[data-action="pause"]');
    await page.keyboard.press(' ');
    await waitPosted('command', '"action":"pause"');
    // Enter on the card's toggle collapses it.
    await page.focus('.card[data-group="Premium Farmers"] .card-toggle');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('.card[data-group="Premium Farmers"] .card-toggle')?.getAttribute('aria-expanded') === 'false');
    assert.equal(await page.$$eval('.card[data-group="Premium Farmers"] .tile', (t) => t.length), 0);
  });

  it('restores the zoomed bot and the collapsed cards after a reload', async () => {
    await open();
    await page.click('.card[data-group="Wonder Pick Farmers"] .card-toggle');
    await page.click(tile('Premium Farmers', '2'));
    await page.waitForSelector('.zoom:not([hidden])');
    await page.reload();
    await page.waitForSelector('.zoom:not([hidden])');
    assert.equal(await page.textContent('.zoom-title'), 'Instance 2 · Premium Farmers');
    const z = await waitPosted('zoom', '"instance":"2"');
    assert.deepEqual(z.bot, { group: 'Premium Farmers', instance: '2' });
    await page.keyboard.press('Escape');
    await page.waitForSelector('.list:not([hidden])');
    assert.equal(await page.getAttribute('.card[data-group="Wonder Pick Farmers"] .card-toggle', 'aria-expanded'), 'false');
    assert.equal(await page.isHidden('.card[data-group="Wonder Pick Farmers"] .card-body'), true);
  });

  it('restores the scroll position after a reload', async () => {
    await open('scenario=sixteen', { width: 420, height: 600 });
    await page.evaluate(() => window.scrollTo(0, 900));
    await page.waitForFunction(() => sessionStorage.getItem('harness.vscode-state')?.includes('"scrollY":900'));
    await page.reload();
    await page.waitForFunction(() => window.scrollY === 900);
  });

  it('says what to do next when there are no groups, while connecting, and when nothing runs', async () => {
    await open('scenario=empty');
    assert.equal(await page.textContent('.empty .empty-title'), 'No groups yet');
    await page.click('.empty vscode-button');
    await waitPosted('command', '"kind":"createGroup"');
    await screenshot('empty-dark');
    await page.close();
    await open('scenario=connecting');
    assert.equal(await page.textContent('.empty p'), 'Connecting to Emulator Fleet…');
    const { snapshot } = demoFleet();
    await page.evaluate(
      (s) => (window as unknown as Win).harness.send({ type: 'snapshot', snapshot: { ...s, groups: [] } }),
      snapshot,
    );
    await page.waitForSelector('.card');
    assert.equal(await page.isVisible('.list > .hint'), true);
    assert.equal(await page.textContent('.list > .hint'), 'Start a group to see its bots’ screens.');
  });

  it('asks for a snapshot after a gap in the events and applies the answer', async () => {
    await open();
    const ev = new EventFactory(12); // 11 and 12 are missing (the snapshot is at 10)
    const { running, snapshot } = demoFleet();
    // Bot events carry the bot's changed fields (absolute values): cycle 41 of a bot the host counts at 40.
    await page.evaluate((events) => (window as unknown as Win).harness.send({ type: 'events', events }), [ev.cycle({ ...running.bots[0], cycles: 40 }, 13, true)]);
    const req = await waitPosted('requestSnapshot', '"reason":"gap"');
    assert.equal(req.seq, 10);
    await page.evaluate(
      ([s, id]) => (window as unknown as Win).harness.send({ type: 'snapshot', inReplyTo: id, snapshot: s }),
      [{ ...snapshot, seq: 12, groups: [{ ...running, bots: running.bots.map((b) => ({ ...b, cycles: 40 })) }] }, req.id] as const,
    );
    await page.waitForFunction(() => (window as unknown as Win).__monitor.debug().seq === 13);
    await page.waitForFunction((s) => document.querySelector(`${s} .tile-counts`)?.textContent === '41 cycles · 0 errors', tile('Premium Farmers', '1'));
  });

  it('accepts base64 frames too', async () => {
    await open();
    const sel = tile('Premium Farmers', '1');
    await page.waitForSelector(sel);
    const n = await page.evaluate(() => (window as unknown as Win).harness.frame('Premium Farmers', '1', 'wonder', { base64: true }));
    await waitDrawn(`${sel} .screen-image`, n);
  });

  it('survives 1,000 random host messages (ignores the malformed ones) and keeps working', async () => {
    await open();
    const sel = tile('Premium Farmers', '1');
    await page.waitForSelector(sel);
    let seed = 20251206;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const messages = Array.from({ length: 1000 }, (_, i) => randomHostMessage(rnd, i));
    // Binary frame data cannot cross page.evaluate as JSON: the page builds it from a marker.
    await page.evaluate((ms) => {
      const h = (window as unknown as Win).harness;
      for (const m of ms) {
        const msg = m as Record<string, unknown>;
        if (msg && typeof msg === 'object' && msg.data === '__bytes__') {
          msg.data = new Uint8Array(Array.from({ length: 64 }, (_, k) => (k * 37) & 255));
        } else if (msg && typeof msg === 'object' && msg.data === '__jpeg__') {
          msg.data = Uint8Array.from(atob(window.__harnessFrames.home.b64), (c) => c.charCodeAt(0));
        }
        h.send(msg);
      }
    }, messages);
    await page.waitForFunction(() => (window as unknown as Win).__monitor.stats.messages >= 1000);
    const stats = await page.evaluate(() => (window as unknown as Win).__monitor.stats);
    assert.ok(stats.ignored > 300, `most random messages are rejected (${stats.ignored})`);
    assert.equal(stats.failed, 0, 'no message made the view fail');
    // Still alive: a valid snapshot and a frame render as usual.
    const { snapshot } = demoFleet();
    await page.evaluate((s) => (window as unknown as Win).harness.send({ type: 'snapshot', session: 'after-fuzz', snapshot: s }), snapshot);
    await page.waitForSelector(sel);
    const n = await sendFrame('Premium Farmers', '1', 'packs');
    await waitDrawn(`${sel} .screen-image`, n);
    const logs = await posted('log');
    assert.ok(logs.length > 0 && logs.length <= 21, `ignored messages are logged, rate-limited (${logs.length})`);
    assert.match(logs[0].message, /^ignored a host message: |^events: |^frame \d+ could not be decoded/);
  });

  describe('screenshots (light, dark, high contrast; a narrow panel with 16 tiles)', () => {
    const frameAll = async (bots: number, assets: readonly string[]) => {
      const { running } = demoFleet({ runningBots: bots });
      for (const [i, b] of running.bots.entries()) {
        const n = await sendFrame('Premium Farmers', b.instance, assets[i % assets.length], [
          { template: 'home.packsButton', box: PACKS_BUTTON, score: 0.97 - i * 0.01, found: true },
          { template: 'popup.retry', box: { x: 150, y: 590, w: 240, h: 80 }, score: 0.31, found: false },
        ]);
        await waitDrawn(`${tile('Premium Farmers', b.instance)} .screen-image`, n);
      }
      const n5 = await sendFrame('Mission Claimer', '5', 'missions');
      await waitDrawn(`${tile('Mission Claimer', '5')} .screen-image`, n5);
    };

    for (const theme of ['light', 'dark', 'hc'] as const) {
      it(`renders the list and the zoom in the ${theme} theme`, async () => {
        await open(`scenario=demo&theme=${theme}`, { width: 1000, height: 900 });
        await page.waitForFunction((t) => document.body.className === { light: 'vscode-light', dark: 'vscode-dark', hc: 'vscode-high-contrast' }[t], theme);
        const ev = new EventFactory(10);
        const { running } = demoFleet();
        await page.evaluate(
          (events) => (window as unknown as Win).harness.send({ type: 'events', events }),
          [
            ev.step(running.bots[0], 'start', 'tap home.packsButton', 'steps[3]', 14),
            ev.match(running.bots[0], 'home.packsButton', 0.97, PACKS_BUTTON),
            ev.match(running.bots[0], 'popup.retry', 0.31, { x: 150, y: 590, w: 240, h: 80 }),
          ],
        );
        await frameAll(2, ['home', 'packs']);
        // The text is readable: the foreground differs from the background.
        const colors = await page.evaluate(() => ({ fg: getComputedStyle(document.body).color, bg: getComputedStyle(document.body).backgroundColor }));
        assert.notEqual(colors.fg, colors.bg);
        await screenshot(`list-${theme}`);
        // A running bot's zoom: the step's matches drawn, its location, the recent events.
        await page.evaluate(
          (events) => (window as unknown as Win).harness.send({ type: 'events', events }),
          [
            ev.account(running.bots[0], 'checkout', 'acct-0101'),
            ev.cycle(running.bots[0], 13, true),
            ev.routineStep(running.bots[0], 'start', 'waitFor packSelect.open', 'steps[4]', 18),
            ev.match(running.bots[0], 'packSelect.open', 0.94, { x: 120, y: 620, w: 300, h: 110 }),
            ev.match(running.bots[0], 'packSelect.premium', 0.91, { x: 40, y: 170, w: 215, h: 330 }),
            ev.match(running.bots[0], 'popup.retry', 0.27, { x: 150, y: 590, w: 240, h: 80 }),
          ],
        );
        await page.click(tile('Premium Farmers', '1'));
        await page.waitForSelector('.zoom:not([hidden])');
        const live = await sendFrame('Premium Farmers', '1', 'packs');
        await waitDrawn('.zoom .screen-image', live);
        await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('.zoom .screen-overlay')?.dataset.matches?.includes('packSelect.open 0.94'));
        await screenshot(`zoom-live-${theme}`);
        await page.keyboard.press('Escape');
        await page.waitForSelector('.list:not([hidden])');
        await page.click(tile('Mission Claimer', '5'));
        await page.waitForSelector('.zoom:not([hidden])');
        const n = await sendFrame('Mission Claimer', '5', 'missions', [
          { template: 'missions.claim', box: { x: 360, y: 195, w: 140, h: 60 }, score: 0.96, found: true },
          { template: 'popup.notice', box: { x: 40, y: 270, w: 460, h: 80 }, score: 0.18, found: false },
        ]);
        await waitDrawn('.zoom .screen-image', n);
        await screenshot(`zoom-takeover-${theme}`);
      });
    }

    it('fits 16 tiles in a narrow panel', async () => {
      await open('scenario=sixteen&theme=dark', { width: 360, height: 900 });
      await frameAll(16, ['home', 'packs', 'opening2', 'wonder', 'missions', 'title']);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
      assert.equal(overflow, false, 'no horizontal scrolling');
      const columns = await page.$eval('.card[data-group="Premium Farmers"] .tiles', (e) => getComputedStyle(e).gridTemplateColumns.split(' ').length);
      assert.equal(columns, 2);
      await screenshot('sixteen-narrow-dark');
    });
  });
});
