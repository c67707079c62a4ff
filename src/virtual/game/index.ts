/**
 * The demo game "Pocket Packs" that the virtual Android device runs (spec: the project's demo-game notes).
 * The device consumes it through `VirtualApp`; tests and benchmarks also use `forceError`, `forcePopup` and `screen`.
 */
import { PocketPacks, type PocketPacksGame, type PocketPacksOptions } from './pocketPacksGame';

export { GameConfigError, type PocketPacksGame, type PocketPacksOptions, type PocketPacksState } from './pocketPacksGame';
export { GameRenderError } from './raster';
export { ACCOUNT_PATH, GAME_ACTIVITY, GAME_PACKAGE, type AccountSummary, type AccountError } from './account';
export { SCREEN_NAMES, DIALOG_KINDS, POPUP_KINDS, MISSIONS, type ScreenName, type GameScreen, type DialogKind, type PackKind, type Card, type Mission } from './model';
export { LAYOUT, REFERENCE_HEIGHT, REFERENCE_WIDTH, scaleRect, rectCenter, layoutEntries } from './layout';

/**
 * Creates the game. With `boot: 'title'` (default) the game process is already running on its title screen;
 * with `'launcher'` the device shows its home screen and the game starts on a tap of its icon or `am start`.
 * Throws `GameConfigError` (code `invalid-option`) for a size outside 64..4096 or a `popupRate` outside 0..1.
 */
export function createPocketPacksGame(opts: PocketPacksOptions): PocketPacksGame {
  return new PocketPacks(opts);
}
