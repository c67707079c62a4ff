/**
 * Validation of a whole fleet workspace: every YAML file of `routines/`, `templates/`, `groups/` and `pools/`
 * through its own loader, plus the checks across files (a routine's templates exist, a group's routine and
 * pool exist and its routineConfig fits the routine's params, names are unique). Used by
 * `emulator-fleet validate` and the extension's diagnostics. Every problem is a located diagnostic.
 */
import type { Diagnostic } from '../shared/geometry';
import { diagnosticAt, type ParsedYaml } from '../shared/yamlSource';
import { PathEscapeError, type FileStat, type FileStore, type Logger } from '../shared/ports';
import { listWorkspaceFiles, readWorkspaceYaml } from '../bot/workspaceFiles';
import { nullLogger } from '../shared/loggers';
import { RoutineRegistry } from '../bot/routine/registry';
import { sortDiagnostics } from '../bot/routine/loader';
import { hasInterpolation } from '../bot/routine/interpolationSyntax';
import { suggest } from '../bot/routine/valueSchemas';
import { walkSteps } from '../bot/routine/staticChecks';
import { callParamProblems } from '../bot/routine/callParams';
import type { LoadedRoutine } from '../bot/routine/loadedTypes';
import { loadTemplateFile } from '../bot/vision/templateLoader';
import { parseGroupDefinition, type BotGroupDefinition } from './groupDefinition';
import { parsePoolDefinition, type PoolDefinition } from './pools/poolDefinition';
import { LookalikeNames, nameLookProblems, type NameLookProblem } from './nameChecks';

export interface WorkspaceValidationOptions {
  logger?: Logger;
  /** Check that template images exist (default true). */
  checkImages?: boolean;
  /**
   * A routine registry over the same file store, kept across calls (an editor validating on every edit), so
   * unchanged routine files are not parsed again. Without it each call loads every routine afresh.
   */
  routines?: RoutineRegistry;
  /**
   * Parse results of template, pool and group files kept across calls (with `routines`, for an editor): a file
   * whose text did not change is not parsed again.
   */
  parsed?: ParseCache;
}

/** The parse results of files by their text (see {@link WorkspaceValidationOptions.parsed}). */
export class ParseCache {
  private entries = new Map<string, { text: string; value: unknown }>();
  private used = new Map<string, { text: string; value: unknown }>();

  /** `parse(text)` of `file`, from the last call when its text is the same. Parse results must not be mutated. */
  get<T>(kind: string, file: string, text: string, parse: () => T): T {
    const key = `${kind}:${file}`;
    const hit = this.entries.get(key);
    const entry = hit && hit.text === text ? hit : { text, value: parse() };
    this.used.set(key, entry);
    return entry.value as T;
  }

  /** Ends a validation: only the files it read are kept. */
  sweep(): void {
    this.entries = this.used;
    this.used = new Map();
  }
}

/** Summary of what was validated, besides the diagnostics. */
export interface WorkspaceValidationResult {
  diagnostics: Diagnostic[];
  counts: { routines: number; templateFiles: number; templates: number; groups: number; pools: number };
}

const MAX_DEPTH = 16;
const MAX_FILES = 5000;

/** Workspace-relative paths of the `.yaml` files under `dir` (recursive), sorted; link problems go to `out`. */
async function yamlFiles(files: FileStore, dir: string, recursive: boolean, out: Diagnostic[]): Promise<string[]> {
  const listing = await listWorkspaceFiles(files, dir, { recursive, include: (n) => n.endsWith('.yaml'), maxDepth: MAX_DEPTH, maxFiles: MAX_FILES });
  out.push(...listing.diagnostics);
  return listing.files;
}

/** The file's text, or undefined with a located diagnostic in `out` (unreadable, too large, a link leaving the workspace). */
async function readOrDiagnose(files: FileStore, file: string, out: Diagnostic[]): Promise<string | undefined> {
  const read = await readWorkspaceYaml(files, file);
  if ('text' in read) {
    return read.text;
  }
  if ('diagnostic' in read) {
    out.push(read.diagnostic);
  }
  return undefined;
}

/** The stat of a template's image, or why it is refused (a path leaving the workspace); never rejects. */
async function imageStat(files: FileStore, image: string): Promise<{ st?: FileStat; refused?: string }> {
  try {
    return { st: await files.stat(image) };
  } catch (e) {
    return { refused: e instanceof PathEscapeError ? e.message : undefined };
  }
}

function stem(file: string): string {
  return (file.split('/').pop() ?? file).replace(/\.yaml$/, '');
}

/** Validates every file of the workspace; diagnostics sorted by file then position. */
export async function validateWorkspace(files: FileStore, options: WorkspaceValidationOptions = {}): Promise<Diagnostic[]> {
  return (await validateWorkspaceDetailed(files, options)).diagnostics;
}

/** {@link validateWorkspace} with counts of what was checked. */
export async function validateWorkspaceDetailed(files: FileStore, options: WorkspaceValidationOptions = {}): Promise<WorkspaceValidationResult> {
  const logger = options.logger ?? nullLogger;
  const out: Diagnostic[] = [];
  const cache = options.parsed;
  const cached = <T>(kind: string, file: string, text: string, parse: () => T): T => (cache ? cache.get(kind, file, text, parse) : parse());

  // templates/
  const templateNames = new Map<string, { file: string; line: number; col: number }>();
  const templateFiles = await yamlFiles(files, 'templates', true, out);
  for (const file of templateFiles) {
    const text = await readOrDiagnose(files, file, out);
    if (text === undefined) {
      continue;
    }
    const r = cached('template', file, text, () => loadTemplateFile(text, file));
    out.push(...r.diagnostics);
    const defined: Array<{ name: string; src: { file: string; line: number; col: number }; image?: string; imageAt?: { line: number; col: number } }> = [
      ...r.templates.map((t, i) => ({
        name: t.name,
        src: r.sources[i] ?? { file, line: 1, col: 1 },
        image: t.image,
        imageAt: r.sources[i] ? { line: r.sources[i].imageLine, col: r.sources[i].imageCol } : undefined,
      })),
      ...r.colors.map((c, i) => ({ name: c.name, src: r.colorSources[i] ?? { file, line: 1, col: 1 } })),
    ];
    // The images' checks run together (each resolves links on the disk); their results are taken in order below.
    const images = defined.map((t) => (t.image && options.checkImages !== false ? imageStat(files, t.image) : undefined));
    for (const [i, t] of defined.entries()) {
      const first = templateNames.get(t.name);
      if (first) {
        out.push({
          file: t.src.file,
          line: t.src.line,
          col: t.src.col,
          severity: 'error',
          message: `duplicate template name '${t.name}' (also defined at ${first.file}:${first.line}:${first.col})`,
          code: 'duplicate-template',
        });
      } else {
        templateNames.set(t.name, t.src);
      }
      const image = images[i];
      if (t.image && image) {
        const { st, refused } = await image;
        const at = t.imageAt ?? t.src;
        if (refused) {
          out.push({ file: t.src.file, line: at.line, col: at.col, severity: 'error', message: `template '${t.name}': image '${t.image}' is refused: ${refused}`, code: 'path-escape' });
        } else if (!st?.isFile) {
          out.push({ file: t.src.file, line: at.line, col: at.col, severity: 'error', message: `template '${t.name}': image '${t.image}' not found`, code: 'image-missing' });
        }
      }
    }
  }

  // routines/
  const templates = { has: (n: string) => templateNames.has(n) };
  const registry = options.routines ?? new RoutineRegistry(files, logger, { templates });
  if (options.routines) {
    // The reload below runs the cross-file checks with these templates (once, not twice).
    registry.setTemplates(templates, { recheck: false });
  }
  try {
    await registry.reload();
    out.push(...registry.diagnostics());

    // pools/
    const pools = new Map<string, { def: PoolDefinition; file: string }>();
    const poolLooks = new LookalikeNames('pool');
    const poolFiles = await yamlFiles(files, 'pools', false, out);
    for (const file of poolFiles) {
      const text = await readOrDiagnose(files, file, out);
      if (text === undefined) {
        continue;
      }
      const r = cached('pool', file, text, () => parsePoolDefinition(text, file));
      out.push(...r.diagnostics);
      if (r.value) {
        const clash = pools.get(r.value.name);
        if (clash && r.parsed) {
          out.push(diagnosticAt(r.parsed, ['name'], `duplicate pool name '${r.value.name}' (also in ${clash.file})`, 'duplicate-pool'));
        } else {
          pools.set(r.value.name, { def: r.value, file });
        }
        if (r.parsed) {
          for (const p of withLookalike(nameLookProblems('pool', r.value.name), poolLooks.add(r.value.name, file))) {
            out.push(diagnosticAt(r.parsed, ['name'], p.message, p.code, 'warning'));
          }
        }
      }
    }
    const poolKnown = (name: string) => pools.has(name) || poolFiles.some((f) => stem(f) === name);

    // groups/
    const groupFiles = await yamlFiles(files, 'groups', false, out);
    const groupNames = new Map<string, string>();
    const groupLooks = new LookalikeNames('group');
    for (const file of groupFiles) {
      const text = await readOrDiagnose(files, file, out);
      if (text === undefined) {
        continue;
      }
      const r = cached('group', file, text, () => parseGroupDefinition(text, file));
      out.push(...r.diagnostics);
      if (!r.value) {
        continue;
      }
      const g = r.value;
      const clash = groupNames.get(g.name);
      if (clash) {
        out.push(diagnosticAt(r.parsed, ['name'], `duplicate group name '${g.name}' (also in ${clash})`, 'duplicate-group'));
      } else {
        groupNames.set(g.name, file);
      }
      for (const p of withLookalike(nameLookProblems('group', g.name), groupLooks.add(g.name, file))) {
        out.push(diagnosticAt(r.parsed, ['name'], p.message, p.code, 'warning'));
      }
      out.push(...checkGroupReferences(g, r.parsed, registry, poolKnown, [...pools.keys()]));
    }

    return {
      diagnostics: sortByFile(out),
      counts: { routines: registry.names().length, templateFiles: templateFiles.length, templates: templateNames.size, groups: groupFiles.length, pools: poolFiles.length },
    };
  } finally {
    cache?.sweep();
    if (!options.routines) {
      registry.dispose();
    }
  }
}

function withLookalike(own: NameLookProblem[], lookalike: NameLookProblem | undefined): NameLookProblem[] {
  return lookalike ? [...own, lookalike] : own;
}

function sortByFile(ds: Diagnostic[]): Diagnostic[] {
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of ds) {
    const list = byFile.get(d.file) ?? [];
    list.push(d);
    byFile.set(d.file, list);
  }
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const f of [...byFile.keys()].sort()) {
    for (const d of sortDiagnostics(byFile.get(f)!)) {
      const k = `${d.file}:${d.line}:${d.col}:${d.message}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(d);
      }
    }
  }
  return out;
}

/** A group's routine and pool exist, and its routineConfig fits the routine's params. */
function checkGroupReferences(
  g: BotGroupDefinition,
  parsed: ParsedYaml,
  routines: RoutineRegistry,
  poolKnown: (name: string) => boolean,
  poolNames: string[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!routines.has(g.routine)) {
    const hint = suggest(g.routine, routines.names());
    out.push(diagnosticAt(parsed, ['routine'], `unknown routine '${g.routine}'${hint ? ` (did you mean '${hint}'?)` : ''}`, 'unknown-routine'));
  } else {
    const routine: LoadedRoutine | undefined = routines.routine(g.routine);
    if (!routine) {
      out.push(diagnosticAt(parsed, ['routine'], `routine '${g.routine}' has errors (see ${routines.entry(g.routine)?.file}): the group cannot run`, 'invalid-routine', 'warning'));
    } else {
      for (const p of callParamProblems(g.routine, routine.params, g.routineConfig)) {
        if (p.key === undefined) {
          out.push(diagnosticAt(parsed, ['routine'], p.message, p.code));
        } else {
          out.push(diagnosticAt(parsed, ['routineConfig', p.key], p.message, p.code, 'error', p.code === 'unknown-param' ? 'key' : undefined));
        }
      }
    }
  }
  if (g.accountPool === undefined && routines.routine(g.routine)) {
    const user = accountUser(g.routine, routines);
    if (user) {
      out.push(
        diagnosticAt(
          parsed,
          ['routine'],
          `routine '${user.routine}' uses '${user.action}' (line ${user.line}) but the group has no accountPool`,
          'missing-pool',
        ),
      );
    }
  }
  if (g.accountPool !== undefined && !poolKnown(g.accountPool)) {
    const hint = suggest(g.accountPool, poolNames);
    out.push(diagnosticAt(parsed, ['accountPool'], `unknown account pool '${g.accountPool}'${hint ? ` (did you mean '${hint}'?)` : ''}`, 'unknown-pool'));
  }
  return out;
}

const ACCOUNT_ACTIONS = new Set(['checkoutAccount', 'completeAccount', 'returnAccount', 'failAccount', 'updateAccount', 'getAccountField']);

/** The first account action reachable from a routine (through literal calls), if any. */
function accountUser(name: string, routines: RoutineRegistry): { routine: string; action: string; line: number } | undefined {
  const seen = new Set<string>();
  const visit = (n: string): { routine: string; action: string; line: number } | undefined => {
    if (seen.has(n)) {
      return undefined;
    }
    seen.add(n);
    const r = routines.routine(n);
    if (!r) {
      return undefined;
    }
    let found: { routine: string; action: string; line: number } | undefined;
    const calls: string[] = [];
    walkSteps(r, (s) => {
      if (!found && ACCOUNT_ACTIONS.has(s.action)) {
        found = { routine: n, action: s.action, line: s.range.start.line };
      }
      if (s.action === 'call' && !hasInterpolation(s.args.routine)) {
        calls.push(s.args.routine);
      }
    });
    for (const c of calls) {
      found ??= visit(c);
    }
    return found;
  };
  return visit(name);
}
