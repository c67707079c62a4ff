/**
 * The game's account: the SharedPreferences file that an account pool pushes into the device, read when the player
 * leaves the title screen and written back (whole, like Android's SharedPreferences commit) whenever progress changes.
 */
import type { VirtualFs } from '../types';
import { parseSharedPrefs, serializeSharedPrefs, type SharedPrefs } from './sharedPrefs';

export const GAME_PACKAGE = 'com.emulatorfleet.pocketpacks';
export const GAME_ACTIVITY = '.MainActivity';
export const ACCOUNT_PATH = `/data/data/${GAME_PACKAGE}/shared_prefs/deviceAccount.xml`;
/** File mode Android gives SharedPreferences files. */
export const ACCOUNT_FILE_MODE = 0o660;

/** What the game shows and tracks of an account (the `account` of the game's state). */
export interface AccountSummary {
  id: string;
  name: string;
  premium: boolean;
  packsOpened: number;
  hourglasses: number;
  wonderPicks: number;
  /** Ids of the missions already claimed (kept in the file as the `claimedMissions` string, comma-separated). */
  claimedMissions: string[];
}

export type AccountErrorCode = 'missing' | 'malformed' | 'invalid';

/** Why the game found no usable account; `line`/`col` locate a malformed file's problem. */
export interface AccountError {
  code: AccountErrorCode;
  message: string;
  line?: number;
  col?: number;
}

export type AccountLoad = { ok: true; prefs: SharedPrefs; summary: AccountSummary } | { ok: false; error: AccountError };

/** Reads and validates the account file; never throws. Valid = non-empty `deviceAccount` and `devicePassword`. */
export function loadAccount(fs: VirtualFs): AccountLoad {
  let file;
  try {
    file = fs.read(ACCOUNT_PATH);
  } catch (e) {
    return { ok: false, error: { code: 'missing', message: `cannot read ${ACCOUNT_PATH}: ${String(e)}` } };
  }
  if (!file) {
    return { ok: false, error: { code: 'missing', message: `${ACCOUNT_PATH} does not exist` } };
  }
  const parsed = parseSharedPrefs(file.data.toString('utf8'));
  if (!parsed.ok) {
    const p = parsed.problem;
    return { ok: false, error: { code: 'malformed', message: `${ACCOUNT_PATH}:${p.line}:${p.col}: ${p.message}`, line: p.line, col: p.col } };
  }
  const prefs = parsed.prefs;
  const id = prefs.getString('deviceAccount')?.trim() ?? '';
  const password = prefs.getString('devicePassword') ?? '';
  if (!id || !password) {
    return { ok: false, error: { code: 'invalid', message: `${ACCOUNT_PATH}: deviceAccount and devicePassword must both be non-empty strings` } };
  }
  return { ok: true, prefs, summary: summarizeAccount(prefs) };
}

/** The summary of a (valid) account's preferences. */
export function summarizeAccount(prefs: SharedPrefs): AccountSummary {
  const id = prefs.getString('deviceAccount')?.trim() ?? '';
  const claimed = prefs.getString('claimedMissions') ?? '';
  return {
    id,
    name: prefs.getString('name')?.trim() || id,
    premium: prefs.getBoolean('premium') ?? false,
    packsOpened: Math.max(0, prefs.getInt('packsOpened') ?? 0),
    hourglasses: Math.max(0, prefs.getInt('hourglasses') ?? 0),
    wonderPicks: Math.max(0, prefs.getInt('wonderPicks') ?? 0),
    claimedMissions: claimed.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
  };
}

/** Writes the preferences back to the account file. Returns an error message instead of throwing. */
export function saveAccount(fs: VirtualFs, prefs: SharedPrefs): string | undefined {
  try {
    fs.write(ACCOUNT_PATH, Buffer.from(serializeSharedPrefs(prefs), 'utf8'), ACCOUNT_FILE_MODE);
    return undefined;
  } catch (e) {
    return `cannot write ${ACCOUNT_PATH}: ${e instanceof Error ? e.message : String(e)}`;
  }
}
