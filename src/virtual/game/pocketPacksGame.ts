/**
 * "Pocket Packs", the demo game the virtual Android device runs: a deterministic state machine (seeded randomness,
 * time only from the injected clock) plus cached rendering. See the package's `index.ts` for the factory.
 */
import type { Rect } from '../../shared/geometry';
import { LAUNCHER_ACTIVITY, LAUNCHER_PACKAGE, type PopupKind, type VirtualApp, type VirtualFs } from '../types';
import { GAME_ACTIVITY, GAME_PACKAGE, loadAccount, saveAccount, summarizeAccount, type AccountError, type AccountSummary } from './account';
import { LAYOUT, rectContains, scaleRect } from './layout';
import {
  FRAME_MS,
  MISSIONS,
  POPUP_KINDS,
  RARITY_WEIGHTS,
  SPLASH_MS,
  type Card,
  type DialogKind,
  type GameScreen,
  type GameView,
  type Mission,
  type PackKind,
  type ScreenName,
  type WonderOffer,
} from './model';
import { applyGrain, makeGrain, rasterizeSvg } from './raster';
import { createRng, deriveSeed, type Rng } from './rng';
import { buildSceneSvg, OPENING_FRAMES, SHUFFLE_FRAMES, SPLASH_FRAMES } from './scene';
import type { SharedPrefs } from './sharedPrefs';
import { FleetError } from '../../shared/errors';

export interface PocketPacksOptions {
  /** Screen size in pixels (the layout scales from 540x960). */
  width: number;
  height: number;
  /** Seed of every random choice (cards, offers, pop-ups). */
  seed: number;
  /** `title` (default): the game is already running on its title screen; `launcher`: the device shows its home screen. */
  boot?: 'title' | 'launcher';
  /** The device's filesystem (the account file lives there). */
  fs: VirtualFs;
  /** Milliseconds; the only source of time (splash, animations). */
  now: () => number;
  /** Probability of a pop-up at each screen transition (default 0.1; 0 disables). */
  popupRate?: number;
}

/** The demo game as the virtual device drives it, plus test hooks. */
export interface PocketPacksGame extends VirtualApp {
  /** The next screen transition shows the connection-error pop-up. */
  forceError(): void;
  /** The name of the screen on display (`launcher` when the game is not in the foreground). */
  screen(): ScreenName;
  /** The true state (a JSON-serialisable snapshot). */
  state(): PocketPacksState;
  /**
   * RGBA of the current screen. The same Buffer object comes back while nothing changed: never mutate it
   * (copy it first, for example to inject a corrupt frame).
   */
  render(): Promise<Buffer>;
  /** The SVG the current frame is rasterised from (for debugging and for cropping templates at any size). */
  renderSvg(): string;
}

/**
 * The game's true state, as `vdev state` shows it. `screen` is what is on display; `appScreen`, `dialog` and `popup`
 * are the game's own (kept while it is in the background); `null` stands for "none".
 */
export type PocketPacksState = {
  screen: ScreenName;
  appScreen: GameScreen | null;
  dialog: DialogKind | null;
  popup: PopupKind | null;
  foreground: boolean;
  pid: number | null;
  package: string;
  activity: string;
  focused: { pkg: string; activity: string };
  width: number;
  height: number;
  seed: number;
  popupRate: number;
  /** The pop-up the next transition will show (forced by a test). */
  forcedPopup: PopupKind | null;
  version: number;
  /** True while an animation plays (splash, pack opening, shuffle). */
  animating: boolean;
  frame: number;
  account: AccountSummary | null;
  /** Why the last read of the account file found no usable account. */
  accountError: AccountError | null;
  /** Why the last write-back of the account file failed. */
  accountWriteError: string | null;
  selectedPack: PackKind | null;
  openingPack: PackKind | null;
  /** Rarities (1..4 stars) of the last pack opened, in slot order. */
  lastResults: number[];
  lastCards: Card[];
  offers: { rarities: number[]; cards: Card[] }[];
  chosenOffer: number | null;
  /** Rarity under each face-down card slot of the wonder pick (slot order), once an offer is chosen. */
  wonderPickSlots: number[] | null;
  wonderPickResult: Card | null;
  missions: Mission[];
  /** How many times the game process was started. */
  launches: number;
  lastExit: 'forceStop' | 'crash' | 'quit' | null;
  input: {
    taps: number;
    lastTap: { x: number; y: number } | null;
    longPresses: { x: number; y: number; durationMs: number }[];
    swipes: { x1: number; y1: number; x2: number; y2: number; durationMs: number }[];
    texts: string[];
    keys: number[];
  };
};

/** Bad options given to the game (a size or rate out of range). */
export class GameConfigError extends FleetError<'invalid-option'> {
  constructor(message: string) {
    super('invalid-option', message);
    this.name = 'GameConfigError';
  }
}

/** Android key codes the game reacts to. */
const KEY_HOME = 3;
const KEY_BACK = 4;
/** A swipe shorter than this (in pixels) is a press at its start, like `input swipe x y x y 500` on Android. */
const SWIPE_AS_PRESS_PX = 12;
const LOG_LIMIT = 20;
const FIRST_PID = 3100;

type ExitReason = 'forceStop' | 'crash' | 'quit';

/** The game process; undefined while it is not running. */
interface Proc {
  pid: number;
  screen: GameScreen;
  /** When the current screen was entered (animations count from here). */
  enteredAt: number;
  /** The screen before the last transition: where a connection error's Retry goes back to. */
  popupReturn?: GameScreen;
  dialog?: DialogKind;
  popup?: PopupKind;
  account?: { prefs: SharedPrefs; summary: AccountSummary };
  accountError?: AccountError;
  selectedPack: PackKind;
  openingPack: PackKind;
  results: Card[];
  resultsCounted: boolean;
  offers: WonderOffer[];
  chosenOffer?: number;
  /** Card slot k of the shuffle holds the chosen offer's card `perm[k]`. */
  perm: number[];
  picked?: Card;
  pickCounted: boolean;
}

interface InputLog {
  taps: number;
  lastTap: { x: number; y: number } | null;
  longPresses: { x: number; y: number; durationMs: number }[];
  swipes: { x1: number; y1: number; x2: number; y2: number; durationMs: number }[];
  texts: string[];
  keys: number[];
}

function push<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > LOG_LIMIT) {
    list.splice(0, list.length - LOG_LIMIT);
  }
}

function checkOptions(o: PocketPacksOptions): void {
  for (const [k, v] of [
    ['width', o.width],
    ['height', o.height],
  ] as const) {
    if (!Number.isInteger(v) || v < 64 || v > 4096) {
      throw new GameConfigError(`${k} must be an integer from 64 to 4096, got ${v}`);
    }
  }
  if (!Number.isFinite(o.seed)) {
    throw new GameConfigError(`seed must be a finite number, got ${o.seed}`);
  }
  if (o.popupRate !== undefined && !(o.popupRate >= 0 && o.popupRate <= 1)) {
    throw new GameConfigError(`popupRate must be between 0 and 1, got ${o.popupRate}`);
  }
  if (o.boot !== undefined && o.boot !== 'title' && o.boot !== 'launcher') {
    throw new GameConfigError(`boot must be "title" or "launcher", got ${String(o.boot)}`);
  }
}

/** The implementation behind `createPocketPacksGame`. */
export class PocketPacks implements PocketPacksGame {
  readonly packageName = GAME_PACKAGE;
  readonly activity = GAME_ACTIVITY;
  readonly width: number;
  readonly height: number;

  private readonly fs: VirtualFs;
  private readonly now: () => number;
  private readonly seed: number;
  private readonly popupRate: number;
  private readonly cardRng: Rng;
  private readonly wonderRng: Rng;
  private readonly popupRng: Rng;

  private proc: Proc | undefined;
  private foreground = false;
  private nextPid = FIRST_PID;
  private launches = 0;
  private lastExit: ExitReason | undefined;
  private forcedPopup: PopupKind | undefined;
  private lastResults: Card[] = [];
  private lastPick: Card | undefined;
  private writeError: string | undefined;
  private readonly input: InputLog = { taps: 0, lastTap: null, longPresses: [], swipes: [], texts: [], keys: [] };

  /** Bumped by every change of state that may change the picture. */
  private revision = 0;
  private observedKey = '';
  private _version = 0;
  private grain: Int8Array | undefined;
  private cache: { key: string; svg: string; data: Buffer } | undefined;
  private pending: { key: string; promise: Promise<Buffer> } | undefined;

  constructor(opts: PocketPacksOptions) {
    checkOptions(opts);
    this.width = opts.width;
    this.height = opts.height;
    this.fs = opts.fs;
    this.now = opts.now;
    this.seed = Math.trunc(opts.seed);
    this.popupRate = opts.popupRate ?? 0.1;
    this.cardRng = createRng(deriveSeed(this.seed, 1));
    this.wonderRng = createRng(deriveSeed(this.seed, 2));
    this.popupRng = createRng(deriveSeed(this.seed, 3));
    if ((opts.boot ?? 'title') === 'title') {
      this.spawn('title');
    }
    this.observe();
  }

  // ---- VirtualApp: picture ----

  get version(): number {
    this.observe();
    return this._version;
  }

  render(): Promise<Buffer> {
    const key = this.observe();
    if (this.cache?.key === key) {
      return Promise.resolve(this.cache.data);
    }
    if (this.pending?.key === key) {
      return this.pending.promise;
    }
    const svg = buildSceneSvg(this.view(), this.width, this.height);
    if (this.cache?.svg === svg) {
      this.cache = { ...this.cache, key };
      return Promise.resolve(this.cache.data);
    }
    const promise = rasterizeSvg(svg, this.width, this.height).then(
      (data) => {
        this.grain ??= makeGrain(this.width, this.height);
        applyGrain(data, this.grain);
        if (this.pending?.key === key) {
          this.pending = undefined;
        }
        this.cache = { key, svg, data };
        return data;
      },
      (err: unknown) => {
        if (this.pending?.key === key) {
          this.pending = undefined;
        }
        throw err;
      },
    );
    this.pending = { key, promise };
    return promise;
  }

  /** The SVG of the current frame (for debugging and for cropping templates at any size). */
  renderSvg(): string {
    this.observe();
    return buildSceneSvg(this.view(), this.width, this.height);
  }

  // ---- VirtualApp: input ----

  tap(x: number, y: number): void {
    this.observe();
    this.input.taps++;
    this.input.lastTap = { x, y };
    this.press(x, y);
  }

  longPress(x: number, y: number, durationMs: number): void {
    this.observe();
    push(this.input.longPresses, { x, y, durationMs });
    // Android buttons without a long-click handler still click on release.
    this.press(x, y);
  }

  swipe(x1: number, y1: number, x2: number, y2: number, durationMs: number): void {
    this.observe();
    push(this.input.swipes, { x1, y1, x2, y2, durationMs });
    if (Math.hypot(x2 - x1, y2 - y1) < SWIPE_AS_PRESS_PX) {
      this.press(x1, y1);
    }
  }

  text(s: string): void {
    push(this.input.texts, s);
  }

  key(code: number): void {
    this.observe();
    push(this.input.keys, code);
    if (code === KEY_HOME) {
      if (this.foreground) {
        this.foreground = false;
        this.changed();
      }
    } else if (code === KEY_BACK) {
      this.back();
    }
  }

  // ---- VirtualApp: process ----

  start(component: string): boolean {
    const [pkg, act] = component.split('/');
    if (pkg !== GAME_PACKAGE || (act !== GAME_ACTIVITY && act !== `${GAME_PACKAGE}${GAME_ACTIVITY}`)) {
      return false;
    }
    this.observe();
    this.launch();
    return true;
  }

  forceStop(pkg: string): void {
    if (pkg === GAME_PACKAGE) {
      this.kill('forceStop');
    }
  }

  crash(): void {
    this.kill('crash');
  }

  focused(): { pkg: string; activity: string } {
    return this.foreground && this.proc ? { pkg: GAME_PACKAGE, activity: GAME_ACTIVITY } : { pkg: LAUNCHER_PACKAGE, activity: LAUNCHER_ACTIVITY };
  }

  pid(): number | undefined {
    return this.proc?.pid;
  }

  forcePopup(kind: PopupKind): void {
    if (!POPUP_KINDS.includes(kind)) {
      throw new GameConfigError(`unknown pop-up kind "${String(kind)}"`);
    }
    this.forcedPopup = kind;
  }

  forceError(): void {
    this.forcePopup('error');
  }

  screen(): ScreenName {
    this.observe();
    return this.foreground && this.proc ? this.proc.screen : 'launcher';
  }

  state(): PocketPacksState {
    this.observe();
    const p = this.proc;
    const offer = p?.chosenOffer !== undefined ? p.offers[p.chosenOffer] : undefined;
    return {
      screen: this.screen(),
      appScreen: p?.screen ?? null,
      dialog: p?.dialog ?? null,
      popup: p?.popup ?? null,
      foreground: this.foreground && !!p,
      pid: p?.pid ?? null,
      package: GAME_PACKAGE,
      activity: GAME_ACTIVITY,
      focused: this.focused(),
      width: this.width,
      height: this.height,
      seed: this.seed,
      popupRate: this.popupRate,
      forcedPopup: this.forcedPopup ?? null,
      version: this._version,
      animating: this.animating(),
      frame: this.frame(),
      account: p?.account ? { ...p.account.summary, claimedMissions: [...p.account.summary.claimedMissions] } : null,
      accountError: p?.accountError ? { ...p.accountError } : null,
      accountWriteError: this.writeError ?? null,
      selectedPack: p?.selectedPack ?? null,
      openingPack: p?.screen === 'opening' || p?.screen === 'results' ? p.openingPack : null,
      lastResults: this.lastResults.map((c) => c.rarity),
      lastCards: this.lastResults.map((c) => ({ ...c })),
      offers: (p?.offers ?? []).map((o) => ({ rarities: o.cards.map((c) => c.rarity), cards: o.cards.map((c) => ({ ...c })) })),
      chosenOffer: p?.chosenOffer ?? null,
      wonderPickSlots: offer && p ? p.perm.map((i) => offer.cards[i].rarity) : null,
      wonderPickResult: this.lastPick ? { ...this.lastPick } : null,
      missions: this.missions().map((m) => ({ ...m })),
      launches: this.launches,
      lastExit: this.lastExit ?? null,
      input: {
        taps: this.input.taps,
        lastTap: this.input.lastTap,
        longPresses: this.input.longPresses.map((e) => ({ ...e })),
        swipes: this.input.swipes.map((e) => ({ ...e })),
        texts: [...this.input.texts],
        keys: [...this.input.keys],
      },
    };
  }

  // ---- time and versions ----

  /** Applies what time alone changes (the splash ending) and returns the key of what the picture shows now. */
  private observe(): string {
    const p = this.proc;
    if (p && p.screen === 'splash' && this.now() - p.enteredAt >= SPLASH_MS) {
      // The splash ends on its own; this is not a player's transition, so no pop-up.
      p.screen = 'title';
      p.enteredAt += SPLASH_MS;
      this.changed();
    }
    const key = `${this.revision}:${this.foreground && p ? this.frame() : -1}`;
    if (key !== this.observedKey) {
      this.observedKey = key;
      this._version++;
    }
    return key;
  }

  private changed(): void {
    this.revision++;
  }

  /** Animation frame of the current screen (0 for static screens). */
  private frame(): number {
    const p = this.proc;
    if (!p) {
      return 0;
    }
    const max = p.screen === 'splash' ? SPLASH_FRAMES - 1 : p.screen === 'opening' ? OPENING_FRAMES : p.screen === 'wonderPickCards' ? SHUFFLE_FRAMES : 0;
    if (max === 0) {
      return 0;
    }
    return Math.max(0, Math.min(max, Math.floor((this.now() - p.enteredAt) / FRAME_MS)));
  }

  private animating(): boolean {
    const p = this.proc;
    if (!p) {
      return false;
    }
    return p.screen === 'splash' || (p.screen === 'opening' && this.frame() < OPENING_FRAMES) || (p.screen === 'wonderPickCards' && this.frame() < SHUFFLE_FRAMES);
  }

  private view(): GameView {
    const p = this.proc;
    const visible = this.foreground && p;
    return {
      screen: visible ? p.screen : 'launcher',
      dialog: visible ? p.dialog : undefined,
      popup: visible ? p.popup : undefined,
      frame: this.frame(),
      account: p?.account?.summary ?? null,
      selectedPack: p?.selectedPack ?? 'standard',
      openingPack: p?.openingPack ?? 'standard',
      results: p?.results ?? [],
      offers: p?.offers ?? [],
      picked: p?.picked,
      missions: this.missions(),
    };
  }

  private missions(): Mission[] {
    const claimed = this.proc?.account?.summary.claimedMissions ?? [];
    return MISSIONS.map((m) => ({ ...m, claimed: claimed.includes(m.id) }));
  }

  // ---- process life ----

  private spawn(screen: GameScreen): void {
    this.proc = {
      pid: this.nextPid,
      screen,
      enteredAt: this.now(),
      selectedPack: 'standard',
      openingPack: 'standard',
      results: [],
      resultsCounted: true,
      offers: [],
      perm: [],
      pickCounted: true,
    };
    this.nextPid += 1 + (this.launches % 3);
    this.launches++;
    this.foreground = true;
    this.changed();
  }

  private launch(): void {
    if (!this.proc) {
      this.spawn('splash');
    } else if (!this.foreground) {
      this.foreground = true;
      this.changed();
    }
  }

  private kill(reason: ExitReason): void {
    if (!this.proc) {
      return;
    }
    this.proc = undefined;
    this.foreground = false;
    this.lastExit = reason;
    this.changed();
  }

  // ---- navigation ----

  /** A player's move to another screen: may bring up a pop-up (forced, or drawn with `popupRate`). */
  private go(to: GameScreen): void {
    const p = this.proc;
    if (!p) {
      return;
    }
    p.popupReturn = p.screen;
    p.screen = to;
    p.enteredAt = this.now();
    p.dialog = undefined;
    let popup = this.forcedPopup;
    this.forcedPopup = undefined;
    if (!popup && this.popupRate > 0 && this.popupRng.next() < this.popupRate) {
      popup = POPUP_KINDS[this.popupRng.weighted([40, 35, 25])];
    }
    p.popup = popup;
    this.changed();
  }

  private hit(r: Rect, x: number, y: number): boolean {
    return rectContains(scaleRect(r, this.width, this.height), x, y);
  }

  private hitIndex(rects: readonly Rect[], x: number, y: number): number {
    return rects.findIndex((r) => this.hit(r, x, y));
  }

  private press(x: number, y: number): void {
    const p = this.proc;
    if (!this.foreground || !p) {
      if (this.hit(LAYOUT.launcher.gameIcon, x, y)) {
        this.launch();
      }
      return;
    }
    if (p.popup) {
      this.pressPopup(p, p.popup, x, y);
    } else if (p.dialog) {
      this.pressDialog(p, p.dialog, x, y);
    } else {
      this.pressScreen(p, x, y);
    }
  }

  private pressPopup(p: Proc, kind: PopupKind, x: number, y: number): void {
    if (kind === 'daily' && this.hit(LAYOUT.popup.daily.ok, x, y)) {
      this.closePopup(p);
    } else if (kind === 'notice' && this.hit(LAYOUT.popup.notice.close, x, y)) {
      this.closePopup(p);
    } else if (kind === 'error' && this.hit(LAYOUT.popup.error.retry, x, y)) {
      this.closePopup(p);
    }
  }

  /** Closes the pop-up; a connection error also undoes the transition it interrupted. */
  private closePopup(p: Proc): void {
    if (p.popup === 'error' && p.popupReturn) {
      p.screen = p.popupReturn;
      p.enteredAt = this.now();
    }
    p.popup = undefined;
    p.popupReturn = undefined;
    this.changed();
  }

  private pressDialog(p: Proc, kind: DialogKind, x: number, y: number): void {
    switch (kind) {
      case 'noAccount':
        if (this.hit(LAYOUT.dialog.noAccount.ok, x, y)) {
          this.closeDialog(p);
        }
        break;
      case 'premiumRequired':
        if (this.hit(LAYOUT.dialog.premiumRequired.ok, x, y)) {
          this.closeDialog(p);
        }
        break;
      case 'quit':
        if (this.hit(LAYOUT.dialog.quit.ok, x, y)) {
          this.kill('quit');
        } else if (this.hit(LAYOUT.dialog.quit.cancel, x, y)) {
          this.closeDialog(p);
        }
        break;
    }
  }

  private closeDialog(p: Proc): void {
    p.dialog = undefined;
    this.changed();
  }

  private openDialog(p: Proc, kind: DialogKind): void {
    p.dialog = kind;
    this.changed();
  }

  private pressScreen(p: Proc, x: number, y: number): void {
    switch (p.screen) {
      case 'splash':
        return;
      case 'title':
        this.leaveTitle(p);
        return;
      case 'home':
        if (this.hit(LAYOUT.home.packsButton, x, y)) {
          this.go('packSelect');
        } else if (this.hit(LAYOUT.home.wonderPickButton, x, y)) {
          p.offers = this.makeOffers();
          p.chosenOffer = undefined;
          this.go('wonderPick');
        } else if (this.hit(LAYOUT.home.missionsButton, x, y)) {
          this.go('missions');
        }
        return;
      case 'packSelect':
        if (this.hit(LAYOUT.packSelect.premium, x, y)) {
          if (p.account?.summary.premium) {
            if (p.selectedPack !== 'premium') {
              p.selectedPack = 'premium';
              this.changed();
            }
          } else {
            this.openDialog(p, 'premiumRequired');
          }
        } else if (this.hit(LAYOUT.packSelect.standard, x, y)) {
          if (p.selectedPack !== 'standard') {
            p.selectedPack = 'standard';
            this.changed();
          }
        } else if (this.hit(LAYOUT.packSelect.open, x, y)) {
          p.openingPack = p.selectedPack;
          this.go('opening');
        }
        return;
      case 'opening':
        if (this.frame() >= OPENING_FRAMES) {
          p.results = this.drawPack(p.openingPack);
          p.resultsCounted = false;
          this.lastResults = p.results;
          this.go('results');
        }
        return;
      case 'results':
        if (this.hit(LAYOUT.results.next, x, y)) {
          this.finishResults(p);
        }
        return;
      case 'wonderPick': {
        const i = this.hitIndex(LAYOUT.wonderPick.offers, x, y);
        if (i >= 0 && i < p.offers.length) {
          p.chosenOffer = i;
          p.perm = this.wonderRng.permutation(5);
          p.picked = undefined;
          this.go('wonderPickCards');
        }
        return;
      }
      case 'wonderPickCards': {
        if (this.frame() < SHUFFLE_FRAMES || p.chosenOffer === undefined) {
          return;
        }
        const k = this.hitIndex(LAYOUT.wonderPickCards.cards, x, y);
        if (k >= 0) {
          p.picked = { ...p.offers[p.chosenOffer].cards[p.perm[k]] };
          p.pickCounted = false;
          this.lastPick = p.picked;
          this.go('wonderPickResult');
        }
        return;
      }
      case 'wonderPickResult':
        if (this.hit(LAYOUT.wonderPickResult.ok, x, y)) {
          this.finishPick(p);
        }
        return;
      case 'missions': {
        const i = this.hitIndex(LAYOUT.missions.claims, x, y);
        if (i >= 0) {
          this.claim(p, i);
        }
        return;
      }
    }
  }

  /** BACK: closes a pop-up or dialog, or goes to the previous screen; on home it asks "Quit?". */
  private back(): void {
    const p = this.proc;
    if (!this.foreground || !p) {
      return;
    }
    if (p.popup) {
      this.closePopup(p);
      return;
    }
    if (p.dialog) {
      this.closeDialog(p);
      return;
    }
    switch (p.screen) {
      case 'splash':
      case 'opening':
        return; // not interruptible
      case 'title':
        // The root activity finishes into the background; the process lives on.
        this.foreground = false;
        this.changed();
        return;
      case 'home':
        this.openDialog(p, 'quit');
        return;
      case 'packSelect':
      case 'wonderPick':
      case 'missions':
        this.go('home');
        return;
      case 'results':
        this.finishResults(p);
        return;
      case 'wonderPickCards':
        this.go('wonderPick');
        return;
      case 'wonderPickResult':
        this.finishPick(p);
        return;
    }
  }

  // ---- game rules ----

  private leaveTitle(p: Proc): void {
    const load = loadAccount(this.fs);
    if (load.ok) {
      p.account = { prefs: load.prefs, summary: load.summary };
      p.accountError = undefined;
      if (!load.summary.premium && p.selectedPack === 'premium') {
        p.selectedPack = 'standard';
      }
      this.go('home');
    } else {
      p.account = undefined;
      p.accountError = load.error;
      this.openDialog(p, 'noAccount');
    }
  }

  private drawPack(kind: PackKind): Card[] {
    return Array.from({ length: 5 }, () => ({ id: 1 + this.cardRng.int(150), rarity: 1 + this.cardRng.weighted(RARITY_WEIGHTS[kind]) }));
  }

  private makeOffers(): WonderOffer[] {
    return Array.from({ length: 3 }, () => ({
      cards: Array.from({ length: 5 }, () => ({ id: 1 + this.wonderRng.int(150), rarity: 1 + this.wonderRng.weighted(RARITY_WEIGHTS.wonder) })),
    }));
  }

  private finishResults(p: Proc): void {
    if (!p.resultsCounted) {
      p.resultsCounted = true;
      this.updateAccount(p, (prefs, s) => prefs.set('packsOpened', { type: 'int', value: s.packsOpened + 1 }));
    }
    this.go('home');
  }

  private finishPick(p: Proc): void {
    if (!p.pickCounted) {
      p.pickCounted = true;
      this.updateAccount(p, (prefs, s) => prefs.set('wonderPicks', { type: 'int', value: s.wonderPicks + 1 }));
    }
    this.go('home');
  }

  private claim(p: Proc, index: number): void {
    const m = MISSIONS[index];
    const acc = p.account;
    if (!m || !acc || acc.summary.claimedMissions.includes(m.id)) {
      return;
    }
    this.updateAccount(p, (prefs, s) => {
      prefs.set('hourglasses', { type: 'int', value: s.hourglasses + m.reward });
      prefs.set('claimedMissions', { type: 'string', value: [...s.claimedMissions, m.id].join(',') });
    });
  }

  /** Changes the account in memory and commits the whole file, as Android's SharedPreferences do. */
  private updateAccount(p: Proc, mutate: (prefs: SharedPrefs, s: AccountSummary) => void): void {
    const acc = p.account;
    if (!acc) {
      return;
    }
    mutate(acc.prefs, acc.summary);
    acc.summary = summarizeAccount(acc.prefs);
    this.writeError = saveAccount(this.fs, acc.prefs);
    this.changed();
  }
}

/**
 * Creates the game. With `boot: 'title'` (default) the game process is already running on its title screen;
 * with `'launcher'` the device shows its home screen and the game starts on a tap of its icon or `am start`.
 * Throws `GameConfigError` (code `invalid-option`) for a size outside 64..4096 or a `popupRate` outside 0..1.
 */
export function createPocketPacksGame(opts: PocketPacksOptions): PocketPacksGame {
  return new PocketPacks(opts);
}
