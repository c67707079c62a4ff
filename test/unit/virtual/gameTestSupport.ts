/** Helpers for the demo game's unit tests: a tiny in-memory VirtualFs, a manual clock and tap-by-name. */
import type { Rect } from '../../../src/shared/geometry';
import type { VirtualFile, VirtualFs } from '../../../src/virtual/types';
import { createPocketPacksGame, type PocketPacksGame, type PocketPacksOptions, type PocketPacksState } from '../../../src/virtual/game/pocketPacksGame';
import { ACCOUNT_PATH } from '../../../src/virtual/game/account';
import { rectCenter, scaleRect } from '../../../src/virtual/game/layout';

/** An in-memory VirtualFs (directories are implied by file paths). */
export class MemoryFs implements VirtualFs {
  readonly files = new Map<string, VirtualFile>();
  writes = 0;

  constructor(private readonly now: () => number = () => 0) {}

  read(path: string): VirtualFile | undefined {
    return this.files.get(path);
  }

  write(path: string, data: Buffer, mode = 0o644): void {
    this.writes++;
    this.files.set(path, { data: Buffer.from(data), mode, mtimeMs: this.now() });
  }

  remove(path: string): boolean {
    return this.files.delete(path);
  }

  list(dir: string): { name: string; isDir: boolean; size: number; mode: number; mtimeMs: number }[] {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const out = new Map<string, { name: string; isDir: boolean; size: number; mode: number; mtimeMs: number }>();
    for (const [p, f] of this.files) {
      if (!p.startsWith(prefix)) {
        continue;
      }
      const rest = p.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) {
        out.set(rest, { name: rest, isDir: false, size: f.data.length, mode: f.mode, mtimeMs: f.mtimeMs });
      } else if (!out.has(rest.slice(0, slash))) {
        out.set(rest.slice(0, slash), { name: rest.slice(0, slash), isDir: true, size: 0, mode: 0o755, mtimeMs: 0 });
      }
    }
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  isDir(path: string): boolean {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    return [...this.files.keys()].some((p) => p.startsWith(prefix));
  }

  text(path: string): string | undefined {
    return this.files.get(path)?.data.toString('utf8');
  }
}

/** A clock the test moves by hand. */
export class ManualTime {
  t = 0;
  readonly now = (): number => this.t;

  advance(ms: number): void {
    this.t += ms;
  }
}

export interface AccountFields {
  id?: string;
  password?: string;
  name?: string;
  premium?: boolean;
  packsOpened?: number;
  hourglasses?: number;
  wonderPicks?: number;
  /** Raw XML lines inserted before `</map>`. */
  extra?: string;
}

/** An account file as the pool would push it. */
export function accountXml(f: AccountFields = {}): string {
  return (
    "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n" +
    `    <string name="deviceAccount">${f.id ?? 'acc-0001'}</string>\n` +
    `    <string name="devicePassword">${f.password ?? 'secret'}</string>\n` +
    `    <string name="name">${f.name ?? 'Ash'}</string>\n` +
    `    <boolean name="premium" value="${f.premium ?? true}" />\n` +
    `    <int name="packsOpened" value="${f.packsOpened ?? 0}" />\n` +
    `    <int name="hourglasses" value="${f.hourglasses ?? 0}" />\n` +
    `    <int name="wonderPicks" value="${f.wonderPicks ?? 0}" />\n` +
    (f.extra ?? '') +
    '</map>\n'
  );
}

export interface Rig {
  game: PocketPacksGame;
  fs: MemoryFs;
  time: ManualTime;
  /** Taps the centre of a reference-layout rectangle, scaled to the game's size. */
  tapRect(r: Rect): void;
  state(): PocketPacksState;
  /** The account file's text (undefined when absent). */
  accountText(): string | undefined;
}

/** A game at `width`x`height` (default 540x960), pop-ups off unless given, with an account unless `account: null`. */
export function makeRig(opts: Partial<Omit<PocketPacksOptions, 'fs' | 'now'>> & { account?: AccountFields | null; accountText?: string } = {}): Rig {
  const time = new ManualTime();
  const fs = new MemoryFs(time.now);
  if (opts.accountText !== undefined) {
    fs.write(ACCOUNT_PATH, Buffer.from(opts.accountText), 0o660);
  } else if (opts.account !== null) {
    fs.write(ACCOUNT_PATH, Buffer.from(accountXml(opts.account ?? {})), 0o660);
  }
  fs.writes = 0;
  const game = createPocketPacksGame({
    width: opts.width ?? 540,
    height: opts.height ?? 960,
    seed: opts.seed ?? 1,
    boot: opts.boot,
    popupRate: opts.popupRate ?? 0,
    fs,
    now: time.now,
  });
  return {
    game,
    fs,
    time,
    tapRect(r) {
      const c = rectCenter(scaleRect(r, game.width, game.height));
      game.tap(c.x, c.y);
    },
    state: () => game.state(),
    accountText: () => fs.text(ACCOUNT_PATH),
  };
}
