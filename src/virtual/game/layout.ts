/**
 * Where everything is on the demo game's screens, at the 540x960 reference size. The renderer draws from these
 * rectangles and input hit-testing uses the same ones, so a tap at the centre of a (scaled) element always lands on
 * it. Vision templates are cropped from these rectangles too; treat names and positions as a stable contract.
 */
import type { Rect } from '../../shared/geometry';

export const REFERENCE_WIDTH = 540;
export const REFERENCE_HEIGHT = 960;

function r(x: number, y: number, w: number, h: number): Rect {
  return { x, y, w, h };
}

/** The Android status bar, identical on every screen. */
const STATUS_BAR = r(0, 0, 540, 32);
/** Each in-game screen's title bar sits here; its text and colour tell the screens apart. */
const HEADER = r(0, 44, 540, 84);
/** Five card slots: three on top, two below. */
function cardSlots(top: number, w: number, h: number, gap: number): Rect[] {
  const row1 = (540 - (3 * w + 2 * gap)) / 2;
  const row2 = (540 - (2 * w + gap)) / 2;
  return [r(row1, top, w, h), r(row1 + w + gap, top, w, h), r(row1 + 2 * (w + gap), top, w, h), r(row2, top + h + 30, w, h), r(row2 + w + gap, top + h + 30, w, h)];
}

const DIALOG_BOX = r(50, 330, 440, 300);
const DIALOG_TITLE = r(50, 330, 440, 72);
const DIALOG_OK = r(170, 532, 200, 76);
const POPUP_BOX = r(40, 270, 460, 420);
const POPUP_TITLE = r(40, 270, 460, 80);
const POPUP_BUTTON = r(150, 590, 240, 80);

export const LAYOUT = {
  statusBar: STATUS_BAR,
  launcher: {
    statusBar: STATUS_BAR,
    /** The game's icon at the centre of the home screen; tapping it launches the game. */
    gameIcon: r(206, 416, 128, 128),
    gameLabel: r(150, 552, 240, 32),
    /** Decorative icons of other apps (tapping them does nothing). */
    appIcons: [r(50, 120, 96, 96), r(170, 120, 96, 96), r(290, 120, 96, 96), r(410, 120, 96, 96)],
    dock: r(0, 840, 540, 120),
  },
  splash: {
    /** The studio logo (it rotates during the splash). */
    logo: r(170, 300, 200, 200),
    /** The progress bar filling over the splash's second. */
    progress: r(120, 600, 300, 24),
  },
  title: {
    /** The "POCKET PACKS" logo with its fan of cards. */
    logo: r(40, 150, 460, 280),
    /** "TAP TO START" (any tap on the title screen starts). */
    tapToStart: r(100, 720, 340, 70),
  },
  home: {
    header: HEADER,
    /** Avatar and account name. */
    namePlate: r(30, 148, 480, 72),
    packsCounter: r(30, 234, 232, 96),
    hourglassCounter: r(278, 234, 232, 96),
    packsButton: r(60, 380, 420, 120),
    wonderPickButton: r(60, 530, 420, 120),
    missionsButton: r(60, 680, 420, 120),
  },
  packSelect: {
    header: HEADER,
    premium: r(40, 170, 215, 330),
    standard: r(285, 170, 215, 330),
    open: r(120, 620, 300, 110),
  },
  opening: {
    header: HEADER,
    /** The pack, shaking during the animation. */
    pack: r(145, 200, 250, 380),
    /** Appears when the animation is over; then a tap anywhere reveals the cards. */
    tapToReveal: r(100, 720, 340, 70),
  },
  results: {
    header: HEADER,
    cards: cardSlots(160, 150, 210, 20),
    next: r(120, 760, 300, 100),
  },
  wonderPick: {
    header: HEADER,
    offers: [r(30, 160, 480, 170), r(30, 350, 480, 170), r(30, 540, 480, 170)],
  },
  wonderPickCards: {
    header: HEADER,
    /** Where the five face-down cards rest once the shuffle is over. */
    cards: cardSlots(180, 150, 210, 20),
    /** "CHOOSE ONE", shown when the shuffle is over. */
    hint: r(100, 760, 340, 60),
  },
  wonderPickResult: {
    header: HEADER,
    card: r(160, 180, 220, 308),
    ok: r(120, 620, 300, 100),
  },
  missions: {
    header: HEADER,
    rows: [r(20, 160, 500, 130), r(20, 310, 500, 130), r(20, 460, 500, 130)],
    claims: [r(360, 195, 140, 60), r(360, 345, 140, 60), r(360, 495, 140, 60)],
  },
  dialog: {
    /** Dialogs dim the screen and show a box here. */
    box: DIALOG_BOX,
    noAccount: { title: DIALOG_TITLE, ok: DIALOG_OK },
    premiumRequired: { title: DIALOG_TITLE, ok: DIALOG_OK },
    quit: { title: DIALOG_TITLE, ok: r(80, 532, 170, 76), cancel: r(290, 532, 170, 76) },
  },
  popup: {
    box: POPUP_BOX,
    daily: { title: POPUP_TITLE, icon: r(210, 380, 120, 120), ok: POPUP_BUTTON },
    notice: { title: POPUP_TITLE, close: r(434, 280, 56, 56) },
    error: { title: POPUP_TITLE, icon: r(220, 380, 100, 100), retry: POPUP_BUTTON },
  },
} as const;

/** Scales a reference-size rectangle to a `width`x`height` screen (each axis on its own; rounded to pixels). */
export function scaleRect(rect: Rect, width: number, height: number): Rect {
  const sx = width / REFERENCE_WIDTH;
  const sy = height / REFERENCE_HEIGHT;
  const x = Math.round(rect.x * sx);
  const y = Math.round(rect.y * sy);
  return { x, y, w: Math.max(1, Math.round((rect.x + rect.w) * sx) - x), h: Math.max(1, Math.round((rect.y + rect.h) * sy) - y) };
}

/** The centre of a rectangle, rounded to whole pixels: where a test or a routine taps. */
export function rectCenter(rect: Rect): { x: number; y: number } {
  return { x: Math.round(rect.x + rect.w / 2), y: Math.round(rect.y + rect.h / 2) };
}

/** Whether the point lies inside the rectangle (left/top edges inclusive, right/bottom exclusive). */
export function rectContains(rect: Rect, x: number, y: number): boolean {
  return x >= rect.x && y >= rect.y && x < rect.x + rect.w && y < rect.y + rect.h;
}

/** Every rectangle of the layout with its dotted path (`home.packsButton`, `results.cards.2`), for cropping templates. */
export function layoutEntries(): { path: string; rect: Rect }[] {
  const out: { path: string; rect: Rect }[] = [];
  function walk(node: unknown, path: string): void {
    if (isRect(node)) {
      out.push({ path, rect: { ...node } });
    } else if (Array.isArray(node)) {
      node.forEach((n, i) => walk(n, `${path}.${i}`));
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        walk(v, path ? `${path}.${k}` : k);
      }
    }
  }
  walk(LAYOUT, '');
  return out;
}

function isRect(v: unknown): v is Rect {
  return !!v && typeof v === 'object' && !Array.isArray(v) && ['x', 'y', 'w', 'h'].every((k) => typeof (v as Record<string, unknown>)[k] === 'number');
}
