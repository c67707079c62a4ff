/**
 * The artefacts of a real-VS-Code run (gitignored, under out/): screenshots with a manifest saying which are
 * README candidates, failure captures and copies of the server's logs. The runner prints the folder at the end.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ARTIFACTS } from './paths';

export interface ScreenshotRecord {
  /** File name without extension, unique within a run (`workspace-dark`). */
  name: string;
  /** Absolute path of the PNG. */
  file: string;
  /** Copied into docs/images/ by `npm run screenshots`. */
  readme: boolean;
  /** The colour theme the workbench had. */
  theme?: string;
  /** The test that took it. */
  test?: string;
}

const MANIFEST = 'screenshots.json';

/** The artefacts folder and its sub-folders, created on demand. */
export function artifactsDir(...sub: string[]): string {
  const dir = path.join(ARTIFACTS, ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Empties the artefacts folder (at the start of a run). */
export function resetArtifacts(): void {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
}

export function readScreenshots(): ScreenshotRecord[] {
  const file = path.join(ARTIFACTS, MANIFEST);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ScreenshotRecord[]) : [];
}

/** Adds (or replaces, by name) a screenshot in the manifest. */
export function recordScreenshot(rec: ScreenshotRecord): void {
  const all = readScreenshots().filter((r) => r.name !== rec.name);
  all.push(rec);
  artifactsDir();
  writeFileSync(path.join(ARTIFACTS, MANIFEST), JSON.stringify(all, null, 2));
}

/** Copies a folder (logs) into the artefacts; never throws. */
export function saveFolder(from: string, ...to: string[]): void {
  try {
    if (existsSync(from)) {
      cpSync(from, path.join(ARTIFACTS, ...to), { recursive: true });
    }
  } catch {
    // best effort: artefacts must not turn a result into a crash
  }
}

/** A file name made of a test title. */
export function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
}
