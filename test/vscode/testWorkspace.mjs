// The workspace both extension test runners open: a fresh copy of the repository's fleet workspace (routines,
// templates, groups, pools) in a temporary folder, so the suite sees the same files whichever runner starts it.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** Copies the fleet workspace of `root` to `<parent>/workspace` and returns that folder. */
export function copyTestWorkspace(root, parent) {
  const ws = path.join(parent, 'workspace');
  mkdirSync(ws);
  for (const dir of ['routines', 'templates', 'groups', 'pools']) {
    if (existsSync(path.join(root, dir))) cpSync(path.join(root, dir), path.join(ws, dir), { recursive: true });
  }
  return ws;
}
