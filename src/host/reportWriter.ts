/**
 * The Node side of the bug report's writer port: any folder (a report may go outside the workspace when the user
 * picks one), each file written to a temporary name and renamed, so a reader never sees half a file (and
 * `writeBugReport` renames the whole report folder into place once it is complete).
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ReportWriter } from '../orchestrator/bugReport';

let counter = 0;

export const nodeReportWriter: ReportWriter = {
  async mkdirp(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
  },
  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const tmp = `${path}.${process.pid}.${++counter}.tmp`;
    try {
      await writeFile(tmp, data);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  },
  join(...parts: string[]): string {
    return join(...parts);
  },
  split(path: string): { parent: string; name: string } {
    return { parent: dirname(path), name: basename(path) };
  },
  async renameDir(from: string, to: string): Promise<void> {
    // rename() would replace an empty folder silently: a name in use is an error.
    const there = await stat(to).then(
      () => true,
      () => false,
    );
    if (there) {
      throw new Error(`'${to}' exists already`);
    }
    await rename(from, to);
  },
  async removeDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  },
};
