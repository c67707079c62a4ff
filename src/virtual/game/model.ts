/** The demo game's vocabulary: screen names (a stable contract), cards, offers, missions and timings. */
import type { PopupKind } from '../types';
import type { AccountSummary } from './account';

/** Screen names as the device reports them (`vdev state`, `getprop debug.fleet.screen`). */
export const SCREEN_NAMES = ['launcher', 'splash', 'title', 'home', 'packSelect', 'opening', 'results', 'wonderPick', 'wonderPickCards', 'wonderPickResult', 'missions'] as const;
export type ScreenName = (typeof SCREEN_NAMES)[number];
/** The screens of the game itself (everything but the launcher). */
export type GameScreen = Exclude<ScreenName, 'launcher'>;

export const DIALOG_KINDS = ['noAccount', 'premiumRequired', 'quit'] as const;
export type DialogKind = (typeof DIALOG_KINDS)[number];

export const POPUP_KINDS: readonly PopupKind[] = ['daily', 'notice', 'error'];

export type PackKind = 'premium' | 'standard';

/** A card: its number in the set (1..150) and its rarity in stars (1..4). */
export interface Card {
  id: number;
  rarity: number;
}

export interface WonderOffer {
  cards: Card[];
}

export interface MissionDef {
  id: string;
  title: string;
  /** Hourglasses given when claimed. */
  reward: number;
}

export interface Mission extends MissionDef {
  claimed: boolean;
}

export const MISSIONS: readonly MissionDef[] = [
  { id: 'login', title: 'LOG IN TODAY', reward: 2 },
  { id: 'openPack', title: 'OPEN A PACK', reward: 5 },
  { id: 'wonderPick', title: 'DO A WONDER PICK', reward: 10 },
];

/** Animation frames are quantised to this period, so a screen re-renders at most 10 times a second. */
export const FRAME_MS = 100;
export const SPLASH_MS = 1000;
export const OPENING_MS = 1500;
export const SHUFFLE_MS = 1000;

/** Rarity weights (1 to 4 stars) per pack kind, and for wonder pick offers. */
export const RARITY_WEIGHTS: Record<PackKind | 'wonder', readonly number[]> = {
  standard: [62, 26, 10, 2],
  premium: [40, 34, 19, 7],
  wonder: [35, 35, 20, 10],
};

/** Everything the renderer needs to draw one frame: an immutable snapshot. */
export interface GameView {
  screen: ScreenName;
  dialog?: DialogKind;
  popup?: PopupKind;
  /** Animation frame of an animated screen (splash, opening, wonderPickCards); 0 elsewhere. */
  frame: number;
  account: AccountSummary | null;
  selectedPack: PackKind;
  /** The pack being opened (opening screen). */
  openingPack: PackKind;
  results: readonly Card[];
  offers: readonly WonderOffer[];
  picked?: Card;
  missions: readonly Mission[];
}
