/**
 * Listing and reading the YAML files of a workspace folder (routines, templates, groups, pools), for every loader
 * alike: symbolic links are followed only inside the workspace, no folder is walked twice (a link back to an
 * enclosing folder, or to a folder already loaded, is skipped), a file larger than the YAML limit is refused
 * before it is read, and every refusal is a located diagnostic naming the file or link.
 */
import type { Diagnostic } from '../shared/geometry';
import { fileTooLargeMessage, YAML_LIMITS } from '../shared/yamlSource';
import { FileTooLargeError, PathEscapeError, type FileStore } from '../shared/ports';

export interface ListOptions {
  /** Walk subfolders (default false: only the folder's own files). */
  recursive?: boolean;
  /** Files to load, by name. */
  include: (name: string) => boolean;
  /** Files to report as ignored (a warning each is the caller's choice), by name. */
  ignore?: (name: string) => boolean;
  /** Deepest subfolder level walked (default 16). */
  maxDepth?: number;
  /** Most files listed (default 5000). */
  maxFiles?: number;
}

export interface WorkspaceListing {
  /** Workspace-relative paths of the files to load, sorted. */
  files: string[];
  /** Subfolders walked (workspace-relative, as reached: a followed link keeps its own name), sorted. */
  dirs: string[];
  /** Files matched by `ignore`, sorted. */
  ignored: string[];
  /** Links refused or skipped, folders too deep. */
  diagnostics: Diagnostic[];
  /** True when `maxFiles` cut the listing short. */
  truncated: boolean;
}

const YAML_NAME = /\.ya?ml$/i;

/** `*.yaml` and `*.yml`, not hidden (the non-recursive loaders' choice). */
export function isYamlName(name: string): boolean {
  return YAML_NAME.test(name) && !name.startsWith('.');
}

function at(file: string, severity: 'error' | 'warning', message: string, code: string): Diagnostic {
  return { file, line: 1, col: 1, severity, message, code };
}

function errno(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

async function realPathOf(files: FileStore, p: string): Promise<string> {
  if (files.realPath) {
    return files.realPath(p);
  }
  if (!(await files.stat(p))) {
    throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  }
  return p.replace(/\\/g, '/').replace(/^\.\/|\/+$/g, '');
}

/** The located diagnostic for a file that cannot be read (too large, a link leaving the workspace, ...). */
export function fileErrorDiagnostic(file: string, e: unknown): Diagnostic {
  if (e instanceof FileTooLargeError) {
    return at(file, 'error', fileTooLargeMessage(file, e.size, e.maxBytes), 'file-too-large');
  }
  if (e instanceof PathEscapeError) {
    return at(file, 'error', `${e.message}: refused`, 'link-outside');
  }
  switch (errno(e)) {
    case 'ELOOP':
      return at(file, 'error', 'cannot read the file: its symbolic links form a loop', 'link-loop');
    case 'ENOENT':
      return at(file, 'error', 'cannot read the file: it does not exist (a broken symbolic link?)', 'read-failed');
    case 'EISDIR':
      return at(file, 'error', 'cannot read the file: it is a folder', 'read-failed');
    default:
      return at(file, 'error', `cannot read the file: ${e instanceof Error ? e.message : String(e)}`, 'read-failed');
  }
}

/**
 * Reads a workspace YAML file, refusing it (a diagnostic, nothing read) when it is larger than `maxBytes` or
 * leaves the workspace. `missing` when it does not exist (deleted meanwhile).
 */
export async function readWorkspaceYaml(
  files: FileStore,
  file: string,
  maxBytes: number = YAML_LIMITS.maxBytes,
): Promise<{ text: string } | { diagnostic: Diagnostic } | { missing: true }> {
  try {
    return { text: await files.readText(file, { maxBytes }) };
  } catch (e) {
    if (errno(e) === 'ENOENT' && !(await isDanglingLink(files, file))) {
      return { missing: true };
    }
    return { diagnostic: fileErrorDiagnostic(file, e) };
  }
}

async function isDanglingLink(files: FileStore, file: string): Promise<boolean> {
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
  const name = file.slice(file.lastIndexOf('/') + 1);
  try {
    return (await files.list(dir)).includes(name);
  } catch {
    return false;
  }
}

/**
 * Lists the files of a workspace folder. Symbolic links are resolved: one leading outside the workspace is
 * refused (an error naming it), a folder link back to an enclosing folder or to a folder already listed is
 * skipped (a warning), a broken link to a wanted file is a warning. Real folders are walked before linked ones,
 * so a folder is listed under its own name when it can be.
 */
export async function listWorkspaceFiles(files: FileStore, dir: string, options: ListOptions): Promise<WorkspaceListing> {
  const maxDepth = options.maxDepth ?? 16;
  const maxFiles = options.maxFiles ?? 5000;
  const out: WorkspaceListing = { files: [], dirs: [], ignored: [], diagnostics: [], truncated: false };
  let rootReal: string;
  try {
    rootReal = await realPathOf(files, dir);
  } catch (e) {
    if (e instanceof PathEscapeError) {
      out.diagnostics.push(at(dir, 'error', `${e.message}: refused`, 'link-outside'));
    } else if (errno(e) === 'ELOOP') {
      out.diagnostics.push(at(dir, 'error', `'${dir}' is a symbolic link loop: nothing in it was loaded`, 'link-loop'));
    }
    return out;
  }
  if (!(await files.stat(dir))?.isDirectory) {
    return out;
  }
  const visited = new Set<string>();
  const deferred: Array<{ path: string; real: string; parentReal: string; depth: number }> = [];
  let tooDeep = false;

  const walk = async (d: string, real: string, depth: number): Promise<void> => {
    visited.add(real);
    let names: string[];
    try {
      names = await files.list(d);
    } catch (e) {
      out.diagnostics.push(fileErrorDiagnostic(d, e));
      return;
    }
    for (const name of names) {
      if (name.startsWith('.') || name.endsWith('.tmp')) {
        continue;
      }
      const p = `${d}/${name}`;
      let r: string;
      try {
        r = await realPathOf(files, p);
      } catch (e) {
        if (e instanceof PathEscapeError) {
          // Only links this listing would have loaded: a linked image is the template check's business.
          const wanted = e.targetKind === 'directory' ? !!options.recursive : e.targetKind === undefined ? options.include(name) || !!options.recursive : options.include(name);
          if (wanted) {
            out.diagnostics.push(at(p, 'error', `${e.message}: refused`, 'link-outside'));
          }
        } else if (errno(e) === 'ELOOP' && (options.include(name) || options.recursive)) {
          out.diagnostics.push(at(p, 'warning', `'${p}' is a symbolic link loop: skipped`, 'link-loop'));
        } else if (errno(e) === 'ENOENT' && options.include(name)) {
          out.diagnostics.push(at(p, 'warning', `'${p}' is a broken symbolic link: skipped`, 'broken-link'));
        }
        continue;
      }
      const st = await files.stat(p).catch(() => undefined);
      if (!st) {
        continue;
      }
      if (st.isDirectory) {
        if (!options.recursive) {
          continue;
        }
        if (r !== joinReal(real, name)) {
          deferred.push({ path: p, real: r, parentReal: real, depth: depth + 1 });
        } else if (depth + 1 > maxDepth) {
          tooDeep = true;
        } else {
          out.dirs.push(p);
          await walk(p, r, depth + 1);
        }
      } else if (st.isFile) {
        if (options.include(name)) {
          if (out.files.length < maxFiles) {
            out.files.push(p);
          } else {
            out.truncated = true;
          }
        } else if (options.ignore?.(name)) {
          out.ignored.push(p);
        }
      }
    }
  };

  await walk(dir, rootReal, 0);
  // Linked folders, after every real one: each is walked once, and never when it encloses the link.
  while (deferred.length) {
    const link = deferred.shift()!;
    const shown = link.real === '' ? 'the workspace root' : `'${link.real}'`;
    if (encloses(link.real, link.parentReal)) {
      out.diagnostics.push(at(link.path, 'warning', `'${link.path}' is a symbolic link to an enclosing folder (${shown}): skipped, it would load the same files again`, 'link-loop'));
    } else if (visited.has(link.real)) {
      out.diagnostics.push(at(link.path, 'warning', `'${link.path}' is a symbolic link to a folder already loaded (${shown}): skipped`, 'link-duplicate'));
    } else if (link.depth > maxDepth) {
      tooDeep = true;
    } else {
      out.dirs.push(link.path);
      await walk(link.path, link.real, link.depth);
    }
  }
  if (tooDeep) {
    out.diagnostics.push(at(dir, 'warning', `folders nested deeper than ${maxDepth} levels under '${dir}' were not loaded`, 'too-deep'));
  }
  if (out.truncated) {
    out.diagnostics.push(at(dir, 'warning', `only the first ${maxFiles} files under '${dir}' were loaded`, 'too-many-files'));
  }
  out.files.sort();
  out.dirs.sort();
  out.ignored.sort();
  return out;
}

function joinReal(real: string, name: string): string {
  return real === '' ? name : `${real}/${name}`;
}

/** True when folder `a` is `b` or one of its ancestors (real paths, '' being the root). */
function encloses(a: string, b: string): boolean {
  return a === '' || a === b || b.startsWith(`${a}/`);
}
