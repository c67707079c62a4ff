/**
 * A bot's bug report: the flight recorder's frames (JPEG, numbered), the events as JSON lines, the routine and group
 * files, the versions and the bot's snapshot, with account secrets redacted. `bugReportFiles` builds the files
 * (pure); `writeBugReport` writes them through a small port into a hidden staging folder next to the report's, then
 * renames that folder to the report's name: a report folder is complete or absent, never half written.
 *
 * Redaction: no account file is ever included; any field whose name looks like a secret (pass, token, secret, key,
 * session, cookie, auth) has its value replaced, in JSON data and in YAML text (`name: value` lines and the lines
 * of a block under such a name); a routine `var` event naming such a variable has its value replaced.
 */
import type { RecordedFrame } from './recorder';
import type { RecorderEvent } from '../shared/monitorProtocol';

export const REDACTED = '[redacted]';

const SECRET_NAME = /pass|token|secret|key|session|cookie|auth/i;

/** True for a field name that may hold a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A deep copy of JSON-like data with the values of secret-named fields replaced. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 64) {
    return REDACTED;
  }
  if (Array.isArray(value)) {
    return value.map((v) => redactSecrets(v, depth + 1));
  }
  if (value !== null && typeof value === 'object') {
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    // A { name, value } pair (a routine variable) whose name is a secret.
    const namedSecret = typeof src['name'] === 'string' && isSecretName(src['name']) && 'value' in src;
    for (const [k, v] of Object.entries(src)) {
      if (isSecretName(k) || (namedSecret && k === 'value')) {
        out[k] = REDACTED;
      } else {
        out[k] = redactSecrets(v, depth + 1);
      }
    }
    return out;
  }
  return value;
}

/**
 * YAML text with secret values replaced: `name: value` (any indentation, in a list item too) keeps its name and
 * gets `[redacted]`; a secret name opening a block (`name:` then deeper lines, or `|` / `>` scalars) has the
 * block's lines replaced. Comments stay.
 */
export function redactYamlText(text: string): string {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  let blockIndent = -1;
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (line.trim() === '' || indent > blockIndent) {
        out.push(line.trim() === '' ? line : `${' '.repeat(indent)}# ${REDACTED}`);
        continue;
      }
      blockIndent = -1;
    }
    const m = /^(\s*(?:-\s+)?)(["']?)([^"'#:\s][^"'#:]*?)\2(\s*):(\s*)(.*)$/.exec(line);
    if (m && isSecretName(m[3] ?? '')) {
      const [, lead = '', quote = '', name = '', sp1 = '', , rest = ''] = m;
      const value = rest.trim();
      if (value === '' || value === '|' || value === '>' || /^[|>][-+]?\d*$/.test(value) || value.startsWith('#')) {
        out.push(`${lead}${quote}${name}${quote}${sp1}: ${REDACTED}`);
        blockIndent = indent;
      } else {
        out.push(`${lead}${quote}${name}${quote}${sp1}: ${REDACTED}`);
      }
      continue;
    }
    out.push(line.includes('{') ? redactFlowPairs(line) : line);
  }
  return out.join('\n');
}

const FLOW_PAIR = /([{,]\s*["']?)([\w-]+)(["']?\s*:\s*)("[^"]*"|'[^']*'|[^,}\]]*)/g;

/** `{ secret: x, other: y }` flow pairs on one line. */
function redactFlowPairs(line: string): string {
  return line.replace(FLOW_PAIR, (all: string, open: string, name: string, colon: string) => (isSecretName(name) ? `${open}${name}${colon}${REDACTED} ` : all));
}

export interface BugReportVersions {
  extension?: string;
  vscode?: string;
  node?: string;
  os?: string;
  [name: string]: string | undefined;
}

export interface BugReportInput {
  group: string;
  instance: string;
  /** Wall time of the report, epoch ms. */
  time: number;
  frames: readonly RecordedFrame[];
  /** Events not attached to a frame (before the first), if any. */
  extraEvents?: readonly RecorderEvent[];
  /** The routine and group files, workspace-relative path and text. */
  routineFiles?: readonly { path: string; text: string }[];
  groupFile?: { path: string; text: string };
  versions: BugReportVersions;
  /** The bot's snapshot (any JSON). */
  bot?: unknown;
  /** Anything more for `report.json` (the group's snapshot, the device). */
  extra?: Record<string, unknown>;
}

export interface ReportFile {
  /** Relative to the report folder, `/`-separated. */
  path: string;
  data: Uint8Array | string;
}

/** The default folder name: `<time>-<group>-<instance>` made safe for any file system. */
export function bugReportFolderName(time: number, group: string, instance: string): string {
  const stamp = new Date(time).toISOString().replace(/[:.]/g, '-');
  return `${stamp}-${safeName(group)}-${safeName(instance)}`;
}

export function safeName(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return (cleaned === '' ? 'x' : cleaned).slice(0, 80);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The report's files (pure). */
export function bugReportFiles(input: BugReportInput): ReportFile[] {
  const files: ReportFile[] = [];
  const width = Math.max(4, String(input.frames.length).length);
  const frameIndex: { file: string; frame: number; time: number; step?: string; error: boolean }[] = [];
  input.frames.forEach((f, i) => {
    const file = `frames/${pad(i + 1, width)}-frame${f.frame}.jpg`;
    files.push({ path: file, data: f.jpeg });
    frameIndex.push({ file, frame: f.frame, time: f.time, ...(f.step !== undefined ? { step: f.step } : {}), error: f.error });
  });
  const lines: string[] = [];
  for (const e of input.extraEvents ?? []) {
    lines.push(JSON.stringify(redactSecrets({ ...e })));
  }
  for (const f of input.frames) {
    for (const e of f.events) {
      lines.push(JSON.stringify(redactSecrets({ frame: f.frame, ...e })));
    }
  }
  files.push({ path: 'events.jsonl', data: lines.length > 0 ? `${lines.join('\n')}\n` : '' });
  const sources: string[] = [];
  for (const r of input.routineFiles ?? []) {
    const path = `routines/${safeName(baseName(r.path))}`;
    files.push({ path, data: redactYamlText(r.text) });
    sources.push(r.path);
  }
  if (input.groupFile) {
    files.push({ path: `group/${safeName(baseName(input.groupFile.path))}`, data: redactYamlText(input.groupFile.text) });
    sources.push(input.groupFile.path);
  }
  const report = {
    group: input.group,
    instance: input.instance,
    time: new Date(input.time).toISOString(),
    versions: input.versions,
    bot: redactSecrets(input.bot ?? null),
    frames: frameIndex,
    sources,
    ...(input.extra ? (redactSecrets(input.extra) as Record<string, unknown>) : {}),
  };
  files.push({ path: 'report.json', data: `${JSON.stringify(report, null, 2)}\n` });
  return files;
}

function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] ?? p;
}

/** Where a report is written. The host passes a Node implementation (any folder, atomic writes). */
export interface ReportWriter {
  mkdirp(dir: string): Promise<void>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  join(...parts: string[]): string;
  /** The parent folder and the last name of a path. */
  split(path: string): { parent: string; name: string };
  /** Renames a folder; fails when `to` exists. */
  renameDir(from: string, to: string): Promise<void>;
  /** Removes a folder and what it holds (nothing when it is absent). */
  removeDir(dir: string): Promise<void>;
}

/**
 * Writes the files into a new folder `dir`; resolves with the paths written. They are written into a hidden
 * staging folder beside `dir` which is renamed to `dir` once every file is whole; on any failure the staging
 * folder is removed and nothing is left at `dir`.
 */
export async function writeBugReport(writer: ReportWriter, dir: string, files: readonly ReportFile[]): Promise<string[]> {
  for (const f of files) {
    const parts = f.path.split('/');
    if (parts.some((p) => p === '..' || p === '.' || p === '')) {
      throw new Error(`report file path '${f.path}' is not a plain relative path`);
    }
  }
  const { parent, name } = writer.split(dir);
  await writer.mkdirp(parent);
  const staging = writer.join(parent, `.${name}.partial-${Math.random().toString(36).slice(2, 10)}`);
  try {
    await writer.mkdirp(staging);
    const made = new Set<string>();
    const rel: string[][] = [];
    for (const f of files) {
      const parts = f.path.split('/');
      if (parts.length > 1) {
        const sub = writer.join(staging, ...parts.slice(0, -1));
        if (!made.has(sub)) {
          await writer.mkdirp(sub);
          made.add(sub);
        }
      }
      await writer.writeFile(writer.join(staging, ...parts), f.data);
      rel.push(parts);
    }
    await writer.renameDir(staging, dir);
    return rel.map((parts) => writer.join(dir, ...parts));
  } catch (e) {
    await writer.removeDir(staging).catch(() => undefined);
    throw e;
  }
}
