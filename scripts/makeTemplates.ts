/**
 * Renders the demo game's screens and crops the shipped templates (`templates/**.png` and
 * `templates/pocketPacks.yaml`) from them by the game's layout. Re-runnable: the output depends only on the game.
 *
 *   node --import tsx scripts/makeTemplates.ts [--root DIR] [--check] [--dump-screens DIR]
 *
 * `--check` renders and compares with the files on disk instead of writing (exit 1 when they differ).
 * The screen tour and the template table are exported for the accuracy tests and the vision benchmark.
 */
import * as path from 'node:path';
import { sameBytes } from '../src/shared/bytes';
import type { Rect } from '../src/shared/geometry';
import { NodeFileStore } from '../src/host/nodePorts';
import { cropRgba } from '../src/bot/vision/frame';
import { encodePng, sharpDecoder } from '../src/bot/vision/imageCodec';
import { createPocketPacksGame, type PocketPacksGame } from '../src/virtual/game/pocketPacksGame';
import { LAYOUT } from '../src/virtual/game/layout';
import { ACCOUNT_PATH } from '../src/virtual/game/account';
import { SharedPrefs, serializeSharedPrefs } from '../src/virtual/game/sharedPrefs';
import { MemoryFs } from '../src/virtual/vfs';

/** One rendered screen of the tour: a name, the game's true state, and the RGBA pixels. */
export interface GameScreenShot {
  /** Tour name, for example `home`, `packSelect+premiumRequired`, `opening@5`. */
  name: string;
  /** The game's `screen` plus dialog/pop-up, for assertions. */
  screen: string;
  dialog: string | null;
  popup: string | null;
  width: number;
  height: number;
  data: Uint8Array;
}

/** A shipped template: a name (the layout path), the screen it is cropped from, and the crop. */
export interface ShippedTemplate {
  name: string;
  /** Tour screen to crop from. */
  from: string;
  /** Crop at 540x960. */
  crop: Rect;
  /** Tour screens where the element is visible (and not dimmed behind a dialog): found there, absent elsewhere. */
  presentOn: string[];
  threshold: number;
  mode?: 'gray' | 'color';
  description: string;
}

const REF = { width: 540, height: 960 };

function accountXml(premium: boolean): Buffer {
  const prefs = new SharedPrefs([
    { name: 'deviceAccount', value: { type: 'string', value: 'demo-0001' } },
    { name: 'devicePassword', value: { type: 'string', value: 'secret' } },
    { name: 'name', value: { type: 'string', value: 'Demo Player' } },
    { name: 'premium', value: { type: 'boolean', value: premium } },
  ]);
  return Buffer.from(serializeSharedPrefs(prefs), 'utf8');
}

/** The centre of an element, at most 240x96: its most distinctive part (labels), and cheap to match. */
function core(r: Rect): Rect {
  return centre(r, Math.min(r.w, 240), Math.min(r.h, 96));
}

/** A centred crop of `w`x`h` inside `r` (integers). */
function centre(r: Rect, w: number, h: number): Rect {
  return { x: Math.round(r.x + (r.w - w) / 2), y: Math.round(r.y + (r.h - h) / 2), w, h };
}

interface Tour {
  game: PocketPacksGame;
  clock: { t: number };
  tap(r: Rect): void;
}

function newTour(size: { width: number; height: number }, seed: number, opts: { account?: 'none' | 'basic' | 'premium'; boot?: 'title' | 'launcher' } = {}): Tour {
  const clock = { t: 0 };
  const fs = new MemoryFs(() => clock.t);
  if ((opts.account ?? 'basic') !== 'none') {
    fs.write(ACCOUNT_PATH, accountXml(opts.account === 'premium'), 0o660);
  }
  const game = createPocketPacksGame({ width: size.width, height: size.height, seed, fs, now: () => clock.t, popupRate: 0, boot: opts.boot ?? 'title' });
  const sx = size.width / REF.width;
  const sy = size.height / REF.height;
  return {
    game,
    clock,
    tap(r: Rect) {
      game.tap(Math.round((r.x + r.w / 2) * sx), Math.round((r.y + r.h / 2) * sy));
    },
  };
}

/**
 * Renders every screen of the game a routine can meet (dialogs, pop-ups and animation frames included) at
 * `size`, deterministically for a `seed` (`only`: just these tour names).
 */
export async function renderGameScreens(size: { width: number; height: number } = REF, seed = 7, only?: readonly string[]): Promise<GameScreenShot[]> {
  const shots: GameScreenShot[] = [];
  const snap = async (tour: Tour, name: string) => {
    if (only && !only.includes(name)) {
      return;
    }
    const s = tour.game.state();
    const data = await tour.game.render();
    shots.push({ name, screen: s.screen, dialog: s.dialog, popup: s.popup, width: size.width, height: size.height, data: new Uint8Array(data) });
  };
  const L = LAYOUT;

  // The device's launcher, then the splash when the icon is tapped.
  const launcher = newTour(size, seed, { boot: 'launcher' });
  await snap(launcher, 'launcher');
  launcher.tap(L.launcher.gameIcon);
  await snap(launcher, 'splash@0');
  launcher.clock.t += 500;
  await snap(launcher, 'splash@5');

  // Title, and the no-account dialog.
  const noAccount = newTour(size, seed, { account: 'none' });
  await snap(noAccount, 'title');
  noAccount.tap(L.title.tapToStart);
  await snap(noAccount, 'title+noAccount');

  // A basic account: home, quit dialog, packs, premium-required dialog, opening, results.
  const basic = newTour(size, seed, { account: 'basic' });
  basic.tap(L.title.tapToStart);
  await snap(basic, 'home');
  basic.game.key(4);
  await snap(basic, 'home+quit');
  basic.tap(L.dialog.quit.cancel);
  basic.tap(L.home.packsButton);
  await snap(basic, 'packSelect');
  basic.tap(L.packSelect.premium);
  await snap(basic, 'packSelect+premiumRequired');
  basic.tap(L.dialog.premiumRequired.ok);
  basic.tap(L.packSelect.open);
  basic.clock.t += 500;
  await snap(basic, 'opening@5');
  basic.clock.t += 1500;
  await snap(basic, 'opening@done');
  basic.tap(L.opening.tapToReveal);
  await snap(basic, 'results');
  basic.tap(L.results.next);

  // Wonder pick: offers, shuffle, choice, result.
  basic.tap(L.home.wonderPickButton);
  await snap(basic, 'wonderPick');
  basic.tap(L.wonderPick.offers[1]);
  basic.clock.t += 300;
  await snap(basic, 'wonderPickCards@3');
  basic.clock.t += 1500;
  await snap(basic, 'wonderPickCards@done');
  basic.tap(L.wonderPickCards.cards[2]);
  await snap(basic, 'wonderPickResult');
  basic.tap(L.wonderPickResult.ok);

  // Missions.
  basic.tap(L.home.missionsButton);
  await snap(basic, 'missions');
  basic.game.key(4);

  // Pop-ups over the screens they interrupt.
  basic.game.forcePopup('daily');
  basic.tap(L.home.packsButton);
  await snap(basic, 'packSelect+daily');
  basic.tap(L.popup.daily.ok);
  basic.game.forcePopup('notice');
  basic.game.key(4);
  await snap(basic, 'home+notice');
  basic.tap(L.popup.notice.close);
  basic.game.forcePopup('error');
  basic.tap(L.home.missionsButton);
  await snap(basic, 'missions+error');
  basic.tap(L.popup.error.retry);

  // A premium account: its pack selection differs (premium selectable).
  const premium = newTour(size, seed + 1, { account: 'premium' });
  premium.tap(L.title.tapToStart);
  premium.tap(L.home.packsButton);
  premium.tap(L.packSelect.premium);
  await snap(premium, 'packSelect@premium');
  return shots;
}

/** The shipped templates: names are the game's layout paths (the routines use them). */
export const SHIPPED_TEMPLATES: ShippedTemplate[] = [
  { name: 'launcher.gameIcon', from: 'launcher', crop: centre(LAYOUT.launcher.gameIcon, 96, 96), presentOn: ['launcher'], threshold: 0.8, description: "The game's icon on the device's home screen." },
  { name: 'splash.logo', from: 'splash@0', crop: core(LAYOUT.splash.logo), presentOn: ['splash@0', 'splash@5'], threshold: 0.8, description: 'The studio logo of the splash screen.' },
  { name: 'title.logo', from: 'title', crop: core(LAYOUT.title.logo), presentOn: ['title'], threshold: 0.8, description: 'The POCKET PACKS logo of the title screen.' },
  { name: 'title.tapToStart', from: 'title', crop: core(LAYOUT.title.tapToStart), presentOn: ['title'], threshold: 0.86, description: 'TAP TO START on the title screen.' },
  { name: 'home.header', from: 'home', crop: centre(LAYOUT.home.header, 240, 64), presentOn: ['home'], threshold: 0.8, description: 'The HOME title bar.' },
  { name: 'home.packsButton', from: 'home', crop: core(LAYOUT.home.packsButton), presentOn: ['home'], threshold: 0.8, description: 'The PACKS button of the home screen.' },
  { name: 'home.wonderPickButton', from: 'home', crop: core(LAYOUT.home.wonderPickButton), presentOn: ['home'], threshold: 0.8, description: 'The WONDER PICK button of the home screen.' },
  { name: 'home.missionsButton', from: 'home', crop: core(LAYOUT.home.missionsButton), presentOn: ['home'], threshold: 0.8, description: 'The MISSIONS button of the home screen.' },
  { name: 'packSelect.header', from: 'packSelect', crop: centre(LAYOUT.packSelect.header, 240, 64), presentOn: ['packSelect', 'packSelect@premium'], threshold: 0.8, description: 'The PACKS title bar of the pack selection.' },
  { name: 'packSelect.premiumLocked', from: 'packSelect', crop: core(LAYOUT.packSelect.premium), presentOn: ['packSelect'], threshold: 0.8, description: 'The premium pack, locked (account without premium).' },
  { name: 'packSelect.premiumUnlocked', from: 'packSelect@premium', crop: core(LAYOUT.packSelect.premium), presentOn: ['packSelect@premium'], threshold: 0.8, description: 'The premium pack of a premium account.' },
  { name: 'packSelect.standard', from: 'packSelect', crop: core(LAYOUT.packSelect.standard), presentOn: ['packSelect', 'packSelect@premium'], threshold: 0.8, description: 'The standard pack (selected or not).' },
  { name: 'packSelect.open', from: 'packSelect', crop: core(LAYOUT.packSelect.open), presentOn: ['packSelect', 'packSelect@premium'], threshold: 0.8, description: 'The OPEN button of the pack selection.' },
  { name: 'opening.header', from: 'opening@5', crop: centre(LAYOUT.opening.header, 240, 64), presentOn: ['opening@5', 'opening@done'], threshold: 0.8, description: 'The OPENING title bar.' },
  { name: 'opening.tapToReveal', from: 'opening@done', crop: core(LAYOUT.opening.tapToReveal), presentOn: ['opening@done'], threshold: 0.8, description: 'TAP TO REVEAL, once the opening animation is over.' },
  { name: 'results.header', from: 'results', crop: centre(LAYOUT.results.header, 240, 64), presentOn: ['results'], threshold: 0.8, description: 'The RESULTS title bar.' },
  { name: 'results.next', from: 'results', crop: core(LAYOUT.results.next), presentOn: ['results'], threshold: 0.8, description: 'The NEXT button of the results.' },
  { name: 'wonderPick.header', from: 'wonderPick', crop: centre(LAYOUT.wonderPick.header, 320, 64), presentOn: ['wonderPick', 'wonderPickCards@3', 'wonderPickCards@done'], threshold: 0.8, description: 'The WONDER PICK title bar (offers and shuffle).' },
  { name: 'wonderPickCards.hint', from: 'wonderPickCards@done', crop: core(LAYOUT.wonderPickCards.hint), presentOn: ['wonderPickCards@done'], threshold: 0.8, description: 'CHOOSE ONE, once the shuffle is over.' },
  { name: 'wonderPickResult.header', from: 'wonderPickResult', crop: centre(LAYOUT.wonderPickResult.header, 240, 64), presentOn: ['wonderPickResult'], threshold: 0.8, description: 'The YOU GOT title bar of the wonder pick result.' },
  { name: 'wonderPickResult.ok', from: 'wonderPickResult', crop: core(LAYOUT.wonderPickResult.ok), presentOn: ['wonderPickResult'], threshold: 0.9, mode: 'color', description: 'The OK button of the wonder pick result; colour tells it from the other OK buttons.' },
  { name: 'missions.header', from: 'missions', crop: centre(LAYOUT.missions.header, 280, 64), presentOn: ['missions'], threshold: 0.8, description: 'The MISSIONS title bar.' },
  { name: 'missions.claim', from: 'missions', crop: core(LAYOUT.missions.claims[0]), presentOn: ['missions'], threshold: 0.8, description: 'A CLAIM button of the missions list.' },
  { name: 'dialog.noAccount.title', from: 'title+noAccount', crop: core(LAYOUT.dialog.noAccount.title), presentOn: ['title+noAccount'], threshold: 0.8, description: 'The NO ACCOUNT dialog title.' },
  { name: 'dialog.noAccount.ok', from: 'title+noAccount', crop: core(LAYOUT.dialog.noAccount.ok), presentOn: ['title+noAccount', 'packSelect+premiumRequired'], threshold: 0.83, mode: 'color', description: 'The blue OK button of the NO ACCOUNT dialog (the same as the PREMIUM PASS REQUIRED one); colour tells it from green OK buttons.' },
  { name: 'dialog.premiumRequired.title', from: 'packSelect+premiumRequired', crop: core(LAYOUT.dialog.premiumRequired.title), presentOn: ['packSelect+premiumRequired'], threshold: 0.8, description: 'The PREMIUM PASS REQUIRED dialog title.' },
  { name: 'dialog.premiumRequired.ok', from: 'packSelect+premiumRequired', crop: core(LAYOUT.dialog.premiumRequired.ok), presentOn: ['title+noAccount', 'packSelect+premiumRequired'], threshold: 0.83, mode: 'color', description: 'The blue OK button of the PREMIUM PASS REQUIRED dialog (the same as the NO ACCOUNT one); colour tells it from green OK buttons.' },
  { name: 'dialog.quit.title', from: 'home+quit', crop: core(LAYOUT.dialog.quit.title), presentOn: ['home+quit'], threshold: 0.8, description: 'The QUIT? dialog title.' },
  { name: 'dialog.quit.ok', from: 'home+quit', crop: core(LAYOUT.dialog.quit.ok), presentOn: ['home+quit'], threshold: 0.8, description: 'The OK button of the QUIT? dialog (quits the game).' },
  { name: 'dialog.quit.cancel', from: 'home+quit', crop: core(LAYOUT.dialog.quit.cancel), presentOn: ['home+quit'], threshold: 0.8, description: 'The CANCEL button of the QUIT? dialog.' },
  { name: 'popup.daily.title', from: 'packSelect+daily', crop: core(LAYOUT.popup.daily.title), presentOn: ['packSelect+daily'], threshold: 0.8, description: 'The DAILY REWARD pop-up title.' },
  { name: 'popup.daily.ok', from: 'packSelect+daily', crop: core(LAYOUT.popup.daily.ok), presentOn: ['packSelect+daily'], threshold: 0.8, mode: 'color', description: 'The green OK button of the DAILY REWARD pop-up.' },
  { name: 'popup.notice.title', from: 'home+notice', crop: core(LAYOUT.popup.notice.title), presentOn: ['home+notice'], threshold: 0.8, description: 'The NOTICE pop-up title (with its close control).' },
  { name: 'popup.notice.close', from: 'home+notice', crop: core(LAYOUT.popup.notice.close), presentOn: ['home+notice'], threshold: 0.8, description: 'The X closing the NOTICE pop-up.' },
  { name: 'popup.error.title', from: 'missions+error', crop: core(LAYOUT.popup.error.title), presentOn: ['missions+error'], threshold: 0.8, description: 'The CONNECTION ERROR pop-up title.' },
  { name: 'popup.error.retry', from: 'missions+error', crop: core(LAYOUT.popup.error.retry), presentOn: ['missions+error'], threshold: 0.8, description: 'The RETRY button of the CONNECTION ERROR pop-up.' },
];

/** Search region of a template: its crop grown by 6% of the screen each way (covers shifts and +-10% zoom about the centre). */
export function searchRegion(crop: Rect): Rect {
  const mx = Math.round(REF.width * 0.06);
  const my = Math.round(REF.height * 0.06);
  const x = Math.max(0, crop.x - mx);
  const y = Math.max(0, crop.y - my);
  return { x, y, w: Math.min(REF.width, crop.x + crop.w + mx) - x, h: Math.min(REF.height, crop.y + crop.h + my) - y };
}

/** A shipped colour check (`colors:` of the registry file). */
export interface ShippedColor {
  name: string;
  color: string;
  tolerance: number;
  at: Rect;
  /** Tour screens where the check holds. */
  trueOn: string[];
  description: string;
}

/** The selection outline (2 px, yellow) around a pack of the pack selection. */
export const SHIPPED_COLORS: ShippedColor[] = [
  {
    name: 'packSelect.standardSelected',
    color: '#fff55e',
    tolerance: 40,
    at: { x: LAYOUT.packSelect.standard.x + 20, y: LAYOUT.packSelect.standard.y - 6, w: LAYOUT.packSelect.standard.w - 40, h: 2 },
    trueOn: ['packSelect'],
    description: 'The standard pack is the selected one (yellow outline above it).',
  },
  {
    name: 'packSelect.premiumSelected',
    color: '#fff55e',
    tolerance: 40,
    at: { x: LAYOUT.packSelect.premium.x + 20, y: LAYOUT.packSelect.premium.y - 6, w: LAYOUT.packSelect.premium.w - 40, h: 2 },
    trueOn: ['packSelect@premium'],
    description: 'The premium pack is the selected one (yellow outline above it).',
  },
];

/** Where the shipped files go, relative to the workspace root. */
export const TEMPLATES_FILE = 'templates/pocketPacks.yaml';
export const TEMPLATES_IMAGE_DIR = 'templates/pocketPacks';

function imagePath(name: string): string {
  return `${TEMPLATES_IMAGE_DIR}/${name}.png`;
}

const q = (s: string) => JSON.stringify(s);
const rect = (r: Rect) => `{ x: ${r.x}, y: ${r.y}, w: ${r.w}, h: ${r.h} }`;

/** The registry file for the shipped templates and colour checks. */
export function templatesYaml(): string {
  const lines = [
    '# The demo game\'s templates. Generated by scripts/makeTemplates.ts from the game\'s rendered screens',
    '# (crops by the game\'s layout); re-run it rather than editing by hand.',
    '# Names follow the game\'s layout paths. Regions leave room for shifts and +-10 % zoom.',
    'referenceSize: 540x960',
    'defaults:',
    '  threshold: 0.8',
    '  preload: true',
    'templates:',
  ];
  for (const t of SHIPPED_TEMPLATES) {
    lines.push(`  - name: ${t.name}`);
    lines.push(`    description: ${q(t.description)}`);
    lines.push(`    image: ${imagePath(t.name)}`);
    if (t.threshold !== 0.8) {
      lines.push(`    threshold: ${t.threshold}`);
    }
    if (t.mode && t.mode !== 'gray') {
      lines.push(`    mode: ${t.mode}`);
    }
    lines.push(`    region: ${rect(searchRegion(t.crop))}`);
  }
  lines.push('colors:');
  for (const c of SHIPPED_COLORS) {
    lines.push(`  - name: ${c.name}`);
    lines.push(`    description: ${q(c.description)}`);
    lines.push(`    color: ${q(c.color)}`);
    lines.push(`    tolerance: ${c.tolerance}`);
    lines.push(`    at: ${rect(c.at)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const rootIdx = argv.indexOf('--root');
  const root = path.resolve(rootIdx >= 0 && argv[rootIdx + 1] ? argv[rootIdx + 1] : path.join(__dirname, '..'));
  const check = argv.includes('--check');
  const store = new NodeFileStore(root);
  const shots = await renderGameScreens();
  const byName = new Map(shots.map((s) => [s.name, s]));
  const dumpIdx = argv.indexOf('--dump-screens');
  if (dumpIdx >= 0) {
    // Debugging aid: every screen of the tour as PNG, in a folder of your choice.
    const out = argv[dumpIdx + 1];
    if (!out) {
      console.error('usage: makeTemplates.ts --dump-screens DIR');
      return 2;
    }
    const dumpStore = new NodeFileStore(path.resolve(out));
    for (const s of shots) {
      await dumpStore.writeFileAtomic(`${s.name}.png`, await encodePng(s));
    }
    console.log(`wrote ${shots.length} screens to ${path.resolve(out)}`);
    return 0;
  }
  const stale: string[] = [];
  for (const t of SHIPPED_TEMPLATES) {
    const shot = byName.get(t.from);
    if (!shot) {
      throw new Error(`template ${t.name}: no screen '${t.from}' in the tour`);
    }
    const img = cropRgba(shot, t.crop);
    const file = imagePath(t.name);
    if (check) {
      const on = await store.stat(file);
      const current = on ? await sharpDecoder.decode(await store.readFile(file), file) : undefined;
      if (!current || current.width !== img.width || current.height !== img.height || !sameBytes(current.data, img.data)) {
        stale.push(file);
      }
    } else {
      await store.writeFileAtomic(file, await encodePng(img));
    }
  }
  const yaml = templatesYaml();
  if (check) {
    const on = await store.stat(TEMPLATES_FILE);
    if (!on || (await store.readText(TEMPLATES_FILE)) !== yaml) {
      stale.push(TEMPLATES_FILE);
    }
    if (stale.length) {
      console.error(`out of date (run scripts/makeTemplates.ts): ${stale.join(', ')}`);
      return 1;
    }
    console.log(`templates are up to date (${SHIPPED_TEMPLATES.length} templates, ${SHIPPED_COLORS.length} colour checks)`);
    return 0;
  }
  await store.writeFileAtomic(TEMPLATES_FILE, yaml);
  console.log(`wrote ${SHIPPED_TEMPLATES.length} templates and ${SHIPPED_COLORS.length} colour checks: ${TEMPLATES_FILE}, ${TEMPLATES_IMAGE_DIR}/*.png`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack : String(e));
      process.exitCode = 1;
    },
  );
}
