/**
 * Where a file sits in a fleet workspace: document URIs to workspace-relative paths and back, what kind of
 * file a path is (routine, template registry, group, pool) and a routine's registry name.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type FleetFileKind = 'routine' | 'templates' | 'group' | 'pool';

/** The four folders the server serves. */
export const FLEET_FOLDERS = ['routines', 'templates', 'groups', 'pools'] as const;

/**
 * Kind of a workspace-relative path (forward slashes), or undefined when the server does not serve it:
 * `routines/**\/*.yaml`, `templates/**\/*.yaml`, `groups/*.yaml`, `pools/*.yaml`. Hidden files and folders are skipped,
 * as the loaders skip them.
 */
export function fileKind(rel: string): FleetFileKind | undefined {
  if (!rel.endsWith('.yaml')) {
    return undefined;
  }
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p.startsWith('.') || p === '..')) {
    return undefined;
  }
  switch (parts[0]) {
    case 'routines':
      return parts.length >= 2 ? 'routine' : undefined;
    case 'templates':
      return parts.length >= 2 ? 'templates' : undefined;
    case 'groups':
      return parts.length === 2 ? 'group' : undefined;
    case 'pools':
      return parts.length === 2 ? 'pool' : undefined;
    default:
      return undefined;
  }
}

/** Registry name of a routine file: `routines/nav/to_home.yaml` → `nav/to_home`. */
export function routineNameOf(rel: string): string | undefined {
  return fileKind(rel) === 'routine' ? rel.slice('routines/'.length, -'.yaml'.length) : undefined;
}

/** Path of a routine by its registry name. */
export function routinePath(name: string): string {
  return `routines/${name}.yaml`;
}

/** Maps document URIs to workspace-relative paths under one root. */
export class WorkspacePaths {
  readonly root: string;
  /** URIs as the client spelled them, so diagnostics go back under the exact same URI. */
  private readonly clientUris = new Map<string, string>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Workspace-relative path (forward slashes) of a `file:` URI inside the root; undefined otherwise. */
  relative(uri: string): string | undefined {
    if (!uri.startsWith('file:')) {
      return undefined;
    }
    let abs: string;
    try {
      abs = fileURLToPath(uri);
    } catch {
      return undefined;
    }
    const rel = path.relative(this.root, abs);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      return undefined;
    }
    const out = rel.split(path.sep).join('/');
    this.clientUris.set(out, uri);
    return out;
  }

  /** URI of a workspace-relative path (the client's spelling when it sent this file before). */
  uri(rel: string): string {
    return this.clientUris.get(rel) ?? pathToFileURL(this.absolute(rel)).href;
  }

  absolute(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  /** A `file:` URI of any workspace-relative path (images, for markdown). */
  fileUri(rel: string): string {
    return pathToFileURL(this.absolute(rel)).href;
  }
}
