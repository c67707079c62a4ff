/**
 * The Node side of the bug report's writer port: any folder (a report may go outside the workspace when the user
 * picks one), each file written to a temporary name and renamed, so a reader never sees half a file.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
};
