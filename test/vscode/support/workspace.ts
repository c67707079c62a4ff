/**
 * The workspace every real-VS-Code run opens: a fresh copy of the repository's fleet workspace (routines,
 * templates, groups, pools) in a temporary folder, so tests never change the checkout and both extension-host
 * runners see the same files.
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './paths';

export const FLEET_DIRS = ['routines', 'templates', 'groups', 'pools'] as const;

/** Copies the fleet workspace of the repository to `<parent>/<name>` and returns that folder. */
export function copyFleetWorkspace(parent: string, name = 'workspace'): string {
  const ws = path.join(parent, name);
  mkdirSync(ws, { recursive: true });
  for (const dir of FLEET_DIRS) {
    if (existsSync(path.join(ROOT, dir))) {
      cpSync(path.join(ROOT, dir), path.join(ws, dir), { recursive: true });
    }
  }
  return ws;
}
