/**
 * The template registry: every `templates/*.yaml` of the workspace, their images checked at load (a missing or
 * unreadable image is a located error, never a silent skip), decoded images cached for the matcher, reload on
 * change. Inline templates of routines resolve through the same code.
 */
import { editDistance } from '../../shared/editDistance';
import type { Diagnostic } from '../../shared/geometry';
import { Emitter, type Disposable, type Event } from '../../shared/lifecycle';
import { PathEscapeError, type FileStore, type Logger } from '../../shared/ports';
import { isYamlName, listWorkspaceFiles, readWorkspaceYaml } from '../workspaceFiles';
import { createTemplateImage } from './frame';
import { sharpDecoder, type ImageDecoder } from './imageCodec';
import { loadTemplateFile, normalizeImagePath, specFromInline } from './templateLoader';
import type { NamedColorSpec, TemplateImage, TemplateRef, TemplateSource, TemplateSpec } from './types';
import { isVisionError, VisionError } from './visionError';
import type { TemplateProvider } from './visionService';

/** Fired after a (re)load that changed something. */
export interface TemplatesChangeEvent {
  /** Names (templates and colour checks) added, removed or changed. */
  readonly names: readonly string[];
  /** Every diagnostic of the load. */
  readonly diagnostics: readonly Diagnostic[];
}

export interface TemplateRegistryOptions {
  /** Folder of the registry files, relative to the workspace root. Default `templates`. */
  dir?: string;
  decoder?: ImageDecoder;
}

interface ImageEntry {
  stamp: string;
  promise: Promise<TemplateImage>;
}

interface Entry {
  spec: TemplateSpec;
  source: TemplateSource;
}

export class TemplateRegistry implements TemplateProvider, Disposable {
  private readonly dir: string;
  private readonly decoder: ImageDecoder;
  private templates = new Map<string, Entry>();
  private colors = new Map<string, { spec: NamedColorSpec; source: { file: string; line: number; col: number } }>();
  private lastDiagnostics: Diagnostic[] = [];
  private readonly images = new Map<string, ImageEntry>();
  private loading: Promise<Diagnostic[]> | undefined;
  private reloadAgain = false;
  private readonly _onDidChangeTemplates = new Emitter<TemplatesChangeEvent>();
  /** Fired after a load that added, removed or changed templates, or changed the diagnostics. */
  readonly onDidChangeTemplates: Event<TemplatesChangeEvent> = this._onDidChangeTemplates.event;
  private watchers: Array<{ dispose(): void }> = [];
  private watching = false;
  private disposed = false;

  constructor(
    private readonly fileStore: FileStore,
    private readonly logger: Logger,
    options: TemplateRegistryOptions = {},
  ) {
    this.dir = (options.dir ?? 'templates').replace(/\/+$/, '');
    this.decoder = options.decoder ?? sharpDecoder;
  }

  /** Diagnostics of the last load. */
  get diagnostics(): readonly Diagnostic[] {
    return this.lastDiagnostics;
  }

  /**
   * Reads every `*.yaml` / `*.yml` of the registry folder, checks each template's image (exists, readable, fits
   * its region) and preloads the images that ask for it. Returns every diagnostic (also in `diagnostics`).
   * Concurrent calls share one load; a call during a load runs another one after it.
   */
  load(): Promise<Diagnostic[]> {
    if (this.loading) {
      this.reloadAgain = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        let diags: Diagnostic[];
        do {
          this.reloadAgain = false;
          diags = await this.loadOnce();
        } while (this.reloadAgain && !this.disposed);
        return diags;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  get(name: string): TemplateSpec | undefined {
    const e = this.templates.get(name);
    return e ? cloneSpec(e.spec) : undefined;
  }

  has(name: string): boolean {
    return this.templates.has(name);
  }

  /** Template names, sorted. */
  names(): string[] {
    return [...this.templates.keys()].sort();
  }

  /** Where a template is defined. */
  source(name: string): TemplateSource | undefined {
    const e = this.templates.get(name);
    return e ? { ...e.source } : undefined;
  }

  /** A named colour check of a `colors:` list. */
  getColor(name: string): NamedColorSpec | undefined {
    const c = this.colors.get(name)?.spec;
    return c ? { ...c, at: { ...c.at }, referenceSize: { ...c.referenceSize } } : undefined;
  }

  colorNames(): string[] {
    return [...this.colors.keys()].sort();
  }

  /**
   * The spec of a registry name or of an inline template. Throws VisionError `unknown-template` (with the
   * closest names) or `path-escape`.
   */
  resolve(ref: TemplateRef): TemplateSpec {
    if (typeof ref === 'string') {
      const e = this.templates.get(ref);
      if (!e) {
        const near = closestNames(ref, [...this.templates.keys()]);
        throw new VisionError('unknown-template', `unknown template '${ref}'${near.length ? ` (did you mean ${near.map((n) => `'${n}'`).join(', ')}?)` : ''}`);
      }
      return cloneSpec(e.spec);
    }
    return specFromInline(ref);
  }

  /** The decoded image at a workspace-relative path, cached until the file changes (watch or load). */
  image(path: string): Promise<TemplateImage> {
    const rel = normalizeImagePath(path);
    if (rel === undefined) {
      return Promise.reject(new VisionError('path-escape', `image path '${path}' leaves the workspace`));
    }
    const hit = this.images.get(rel);
    if (hit) {
      return hit.promise;
    }
    return this.decodeInto(rel, '');
  }

  /** Forgets every cached image (the next match decodes again). */
  clearImageCache(): void {
    this.images.clear();
  }

  /** Reloads whenever a registry file or a template image changes. Dispose to stop. */
  watch(): Disposable {
    this.watching = true;
    this.rewatch();
    return {
      dispose: () => {
        this.watching = false;
        this.stopWatchers();
      },
    };
  }

  dispose(): void {
    this.disposed = true;
    this.watching = false;
    this.stopWatchers();
    this._onDidChangeTemplates.dispose();
  }

  private stopWatchers(): void {
    for (const w of this.watchers.splice(0)) {
      w.dispose();
    }
  }

  private rewatch(): void {
    this.stopWatchers();
    if (!this.watching || this.disposed) {
      return;
    }
    const dirs = new Set<string>([this.dir]);
    for (const e of this.templates.values()) {
      const slash = e.spec.image.lastIndexOf('/');
      dirs.add(slash > 0 ? e.spec.image.slice(0, slash) : '.');
    }
    for (const d of dirs) {
      try {
        this.watchers.push(
          this.fileStore.watch(
            d,
            (paths) => {
              for (const p of paths) {
                this.images.delete(p.replace(/\\/g, '/'));
              }
              this.load().catch((e: unknown) => this.logger.log('error', `template reload failed: ${String(e)}`));
            },
            (e) => this.logger.log('warn', `live reload of templates: ${e.message}`),
          ),
        );
      } catch (e) {
        this.logger.log('warn', `cannot watch ${d}: ${String(e)}`);
      }
    }
  }

  private decodeInto(rel: string, stamp: string): Promise<TemplateImage> {
    const promise = (async () => {
      const bytes = await this.readImage(rel);
      const rgba = await this.decoder.decode(bytes, rel);
      return createTemplateImage(rel, rgba);
    })();
    const entry: ImageEntry = { stamp, promise };
    this.images.set(rel, entry);
    promise.catch(() => {
      if (this.images.get(rel) === entry) {
        this.images.delete(rel);
      }
    });
    return promise;
  }

  private async readImage(rel: string): Promise<Uint8Array> {
    try {
      this.fileStore.resolve(rel);
    } catch (e) {
      throw new VisionError('path-escape', `image path '${rel}' leaves the workspace`, { cause: e });
    }
    try {
      return await this.fileStore.readFile(rel);
    } catch (e) {
      if (e instanceof PathEscapeError) {
        throw new VisionError('path-escape', `image '${rel}' is refused: ${e.message}`, { cause: e });
      }
      throw new VisionError('image-missing', `image '${rel}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
    }
  }

  private async loadOnce(): Promise<Diagnostic[]> {
    const diagnostics: Diagnostic[] = [];
    const templates = new Map<string, Entry>();
    const colors = new Map<string, { spec: NamedColorSpec; source: { file: string; line: number; col: number } }>();
    const listing = await listWorkspaceFiles(this.fileStore, this.dir, { include: isYamlName });
    diagnostics.push(...listing.diagnostics);
    for (const file of listing.files) {
      const read = await readWorkspaceYaml(this.fileStore, file);
      if ('missing' in read) {
        continue;
      }
      if ('diagnostic' in read) {
        diagnostics.push(read.diagnostic);
        continue;
      }
      const loaded = loadTemplateFile(read.text, file);
      diagnostics.push(...loaded.diagnostics);
      /** False (with a diagnostic) when the name is taken by a template or a colour already. */
      const isNewName = (name: string, source: { line: number; col: number }): boolean => {
        const other = templates.get(name) ?? colors.get(name);
        if (other) {
          diagnostics.push({
            file,
            line: source.line,
            col: source.col,
            severity: 'error',
            message: `'${name}' is already defined at ${other.source.file}:${other.source.line}:${other.source.col}`,
            code: 'duplicate-template',
          });
        }
        return !other;
      };
      loaded.templates.forEach((spec, i) => {
        const source = loaded.sources[i];
        if (isNewName(spec.name, source)) {
          templates.set(spec.name, { spec, source });
        }
      });
      loaded.colors.forEach((spec, i) => {
        const source = loaded.colorSources[i];
        if (isNewName(spec.name, source)) {
          colors.set(spec.name, { spec, source });
        }
      });
    }

    // Check each distinct image once; report on every template using it.
    const checks = new Map<string, Promise<ImageCheck>>();
    for (const e of templates.values()) {
      if (!checks.has(e.spec.image)) {
        checks.set(e.spec.image, this.checkImage(e.spec.image));
      }
    }
    for (const e of templates.values()) {
      const c = await checks.get(e.spec.image)!;
      const at = (severity: 'error' | 'warning', message: string, code: string): Diagnostic => ({
        file: e.source.file,
        line: e.source.imageLine,
        col: e.source.imageCol,
        severity,
        message,
        code,
      });
      if (c.error) {
        diagnostics.push(at('error', `template '${e.spec.name}': ${c.error.message}`, c.error.code));
        continue;
      }
      const { width, height, hasAlpha } = c;
      const ref = e.spec.referenceSize;
      if (width > ref.width || height > ref.height) {
        diagnostics.push(at('error', `template '${e.spec.name}': image ${width}x${height} is larger than the reference resolution ${ref.width}x${ref.height}`, 'template-too-large'));
      } else if (e.spec.region && (width > e.spec.region.w || height > e.spec.region.h)) {
        const r = e.spec.region;
        diagnostics.push(at('error', `template '${e.spec.name}': image ${width}x${height} does not fit in its region ${r.w}x${r.h}`, 'template-too-large'));
      }
      if (e.spec.mask && !hasAlpha) {
        diagnostics.push(at('warning', `template '${e.spec.name}': mask is on but the image has no alpha channel`, 'mask-without-alpha'));
      }
      if (e.spec.preload) {
        try {
          const img = await this.imageForLoad(e.spec.image, c.stamp);
          if (!e.spec.mask && img.hasTransparency) {
            diagnostics.push(at('warning', `template '${e.spec.name}': the image has transparent pixels; set mask: true to ignore them`, 'transparent-without-mask'));
          }
        } catch (err) {
          diagnostics.push(at('error', `template '${e.spec.name}': ${err instanceof Error ? err.message : String(err)}`, isVisionError(err) ? err.code : 'image-invalid'));
        }
      }
    }
    // Drop cached images whose file changed (or whose state is unknown: decoded on demand before this load).
    for (const [p, entry] of this.images) {
      const check = checks.get(p);
      if (check) {
        const c = await check;
        if (c.error || entry.stamp !== c.stamp) {
          this.images.delete(p);
        }
      }
    }

    const changed = diffNames(this.templates, templates, this.colors, colors);
    const diagChanged = JSON.stringify(diagnostics) !== JSON.stringify(this.lastDiagnostics);
    this.templates = templates;
    this.colors = colors;
    this.lastDiagnostics = diagnostics;
    if (this.watching) {
      this.rewatch();
    }
    this.logger.log('debug', 'templates loaded', { templates: templates.size, colors: colors.size, problems: diagnostics.length });
    if ((changed.length || diagChanged) && !this.disposed) {
      this._onDidChangeTemplates.fire(Object.freeze({ names: Object.freeze(changed), diagnostics: Object.freeze([...diagnostics]) }));
    }
    return diagnostics;
  }

  /** The cached image if it is current, else a fresh decode (stamped so later loads can tell it changed). */
  private imageForLoad(rel: string, stamp: string): Promise<TemplateImage> {
    const hit = this.images.get(rel);
    if (hit && hit.stamp === stamp) {
      return hit.promise;
    }
    return this.decodeInto(rel, stamp);
  }

  private async checkImage(rel: string): Promise<ImageCheck> {
    try {
      this.fileStore.resolve(rel);
    } catch {
      return { error: { code: 'path-escape', message: `image path '${rel}' leaves the workspace` } };
    }
    let st;
    try {
      st = await this.fileStore.stat(rel);
    } catch (e) {
      return { error: { code: 'path-escape', message: e instanceof PathEscapeError ? `image '${rel}' is refused: ${e.message}` : `image '${rel}': ${String(e)}` } };
    }
    if (!st) {
      return { error: { code: 'image-missing', message: `image '${rel}' does not exist` } };
    }
    if (!st.isFile) {
      return { error: { code: 'image-missing', message: `image '${rel}' is not a file` } };
    }
    const stamp = `${st.mtimeMs}:${st.size}`;
    try {
      const bytes = await this.fileStore.readFile(rel);
      const info = await this.decoder.info(bytes, rel);
      return { width: info.width, height: info.height, hasAlpha: info.hasAlpha, stamp };
    } catch (e) {
      return { error: { code: isVisionError(e) ? e.code : 'image-invalid', message: e instanceof Error ? e.message : String(e) } };
    }
  }
}

type ImageCheck = { error: { code: string; message: string } } | { error?: undefined; width: number; height: number; hasAlpha: boolean; stamp: string };

function cloneSpec(s: TemplateSpec): TemplateSpec {
  const c: TemplateSpec = { ...s, referenceSize: { ...s.referenceSize } };
  if (s.region) {
    c.region = { ...s.region };
  }
  if (s.scales) {
    c.scales = { ...s.scales };
  }
  return c;
}

function diffNames(
  oldT: Map<string, Entry>,
  newT: Map<string, Entry>,
  oldC: Map<string, { spec: NamedColorSpec }>,
  newC: Map<string, { spec: NamedColorSpec }>,
): string[] {
  const out = new Set<string>();
  const cmp = <V>(a: Map<string, V>, b: Map<string, V>, val: (v: V) => unknown) => {
    for (const [k, v] of a) {
      const w = b.get(k);
      if (!w || JSON.stringify(val(v)) !== JSON.stringify(val(w))) {
        out.add(k);
      }
    }
    for (const k of b.keys()) {
      if (!a.has(k)) {
        out.add(k);
      }
    }
  };
  cmp(oldT, newT, (e) => e.spec);
  cmp(oldC, newC, (e) => e.spec);
  return [...out].sort();
}

/** Up to three known names close to `name` (edit distance), for "did you mean". */
function closestNames(name: string, known: string[]): string[] {
  const lower = name.toLowerCase();
  return known
    .map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, 3)
    .map((x) => x.k);
}
