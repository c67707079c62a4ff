/**
 * Turns the text of a `templates/*.yaml` file into template specs with located diagnostics, and resolves inline
 * templates with the same defaults. Pure: no file access (the registry checks the images).
 */
import type { Diagnostic, Point, Rect, Size } from '../../shared/geometry';
import { diagnosticAt, parseYaml, rangeAt, yamlData, zodIssuesToDiagnostics, type ParsedYaml, type PathKey } from '../../shared/yamlSource';
import {
  colorEntrySchema,
  TEMPLATE_DEFAULTS,
  templateEntrySchema,
  templateFileSchema,
  type SizeInput,
  type TemplateEntryInput,
} from './templateSchema';
import type { NamedColorSpec, TemplateRef, TemplateSource, TemplateSpec } from './types';
import { VisionError } from './visionError';

export interface LoadedTemplateFile {
  templates: TemplateSpec[];
  /** Named colour checks of the file's `colors:` list. */
  colors: NamedColorSpec[];
  diagnostics: Diagnostic[];
  /** Where each template of `templates` is defined (same order). */
  sources: TemplateSource[];
  /** Where each colour check of `colors` is defined (same order). */
  colorSources: Array<{ file: string; line: number; col: number }>;
}

/** Options a template may carry besides its name and image (already validated). */
type OptionInput = Omit<TemplateEntryInput, 'name' | 'image' | 'description'>;

/** `'540x960'` or `{width, height}` to a Size. */
export function toSize(s: SizeInput): Size {
  if (typeof s === 'string') {
    const [w, h] = s.split('x').map(Number);
    return { width: w, height: h };
  }
  return { width: s.width, height: s.height };
}

/**
 * Normalises a workspace-relative image path (forward slashes, no `.` segments). Returns undefined when the
 * path is absolute or leaves the workspace.
 */
export function normalizeImagePath(p: string): string | undefined {
  const s = p.replace(/\\/g, '/');
  if (s.startsWith('/') || /^[A-Za-z]:/.test(s) || s.includes('\0')) {
    return undefined;
  }
  const out: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') {
      continue;
    }
    if (seg === '..') {
      if (!out.length) {
        return undefined;
      }
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out.length ? out.join('/') : undefined;
}

/** Applies option layers (later wins) over the defaults. */
function buildSpec(name: string, image: string, layers: OptionInput[], fileReference?: Size): TemplateSpec {
  const pick = <K extends keyof OptionInput>(k: K): OptionInput[K] | undefined => {
    for (let i = layers.length - 1; i >= 0; i--) {
      if (layers[i][k] !== undefined) {
        return layers[i][k];
      }
    }
    return undefined;
  };
  const ref = pick('referenceSize');
  const spec: TemplateSpec = {
    name,
    image,
    threshold: pick('threshold') ?? TEMPLATE_DEFAULTS.threshold,
    referenceSize: ref !== undefined ? toSize(ref) : (fileReference ?? { ...TEMPLATE_DEFAULTS.referenceSize }),
    mode: pick('mode') ?? TEMPLATE_DEFAULTS.mode,
    mask: pick('mask') ?? TEMPLATE_DEFAULTS.mask,
    maxCount: pick('maxCount') ?? TEMPLATE_DEFAULTS.maxCount,
    nmsIou: pick('nmsIou') ?? TEMPLATE_DEFAULTS.nmsIou,
    preload: pick('preload') ?? TEMPLATE_DEFAULTS.preload,
  };
  const region = pick('region');
  if (region) {
    spec.region = { x: region.x, y: region.y, w: region.w, h: region.h };
  }
  const scales = pick('scales');
  if (scales) {
    spec.scales = { min: scales.min, max: scales.max, step: scales.step };
  }
  return spec;
}

function regionDiagnostics(parsed: ParsedYaml, path: PathKey[], spec: TemplateSpec): Diagnostic[] {
  const r = spec.region;
  if (!r) {
    return [];
  }
  const ref = spec.referenceSize;
  if (r.x + r.w > ref.width || r.y + r.h > ref.height) {
    return [
      diagnosticAt(
        parsed,
        [...path, 'region'],
        `region ${r.x},${r.y},${r.w},${r.h} extends beyond the reference resolution ${ref.width}x${ref.height}`,
        'region-out-of-bounds',
        'error',
      ),
    ];
  }
  return [];
}

/**
 * Parses and validates one registry file. A bad entry is reported and skipped; the good entries of the same file
 * still load. `file` is the path used in diagnostics.
 */
export function loadTemplateFile(text: string, file: string): LoadedTemplateFile {
  const out: LoadedTemplateFile = { templates: [], colors: [], diagnostics: [], sources: [], colorSources: [] };
  const parsed = parseYaml(text, file);
  out.diagnostics.push(...parsed.diagnostics);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) {
    return out;
  }
  const read = yamlData(parsed);
  if ('diagnostic' in read) {
    out.diagnostics.push(read.diagnostic);
    return out;
  }
  const data = read.data;
  if (data === null || data === undefined) {
    out.diagnostics.push(diagnosticAt(parsed, [], 'the file is empty: expected a map with a templates: list', 'empty-file', 'warning'));
    return out;
  }
  const whole = templateFileSchema.safeParse(data);
  if (!whole.success) {
    out.diagnostics.push(...zodIssuesToDiagnostics(parsed, whole.error.issues));
  }
  // Salvage: validate the file-level options and each entry on its own, so one bad entry does not hide the others.
  const obj = (typeof data === 'object' && !Array.isArray(data) ? data : {}) as Record<string, unknown>;
  const envelope = templateFileSchema.pick({ referenceSize: true, defaults: true }).safeParse({ referenceSize: obj.referenceSize, defaults: obj.defaults });
  if (!envelope.success) {
    return out;
  }
  const fileRef = envelope.data.referenceSize !== undefined ? toSize(envelope.data.referenceSize) : undefined;
  const defaults: OptionInput = envelope.data.defaults ?? {};

  const seen = new Map<string, string>();
  const entries = Array.isArray(obj.templates) ? (obj.templates as unknown[]) : [];
  entries.forEach((raw, i) => {
    const r = templateEntrySchema.safeParse(raw);
    if (!r.success) {
      return;
    }
    const e = r.data;
    const path: PathKey[] = ['templates', i];
    const image = normalizeImagePath(e.image);
    if (image === undefined) {
      out.diagnostics.push(
        diagnosticAt(parsed, [...path, 'image'], `image path '${e.image}' leaves the workspace (use a path relative to the workspace root)`, 'path-escape'),
      );
      return;
    }
    const previous = seen.get(e.name);
    if (previous) {
      out.diagnostics.push(diagnosticAt(parsed, [...path, 'name'], `template '${e.name}' is defined twice in this file (first at ${previous})`, 'duplicate-template'));
      return;
    }
    const nameRange = rangeAt(parsed, [...path, 'name']);
    seen.set(e.name, `line ${nameRange.start.line}`);
    const spec = buildSpec(e.name, image, [defaults, e], fileRef);
    const regionProblems = regionDiagnostics(parsed, path, spec);
    out.diagnostics.push(...regionProblems);
    if (regionProblems.length) {
      return;
    }
    const entryRange = rangeAt(parsed, path);
    const imageRange = rangeAt(parsed, [...path, 'image']);
    out.templates.push(spec);
    out.sources.push({ file, line: entryRange.start.line, col: entryRange.start.col, imageLine: imageRange.start.line, imageCol: imageRange.start.col });
  });

  const colors = Array.isArray(obj.colors) ? (obj.colors as unknown[]) : [];
  colors.forEach((raw, i) => {
    const r = colorEntrySchema.safeParse(raw);
    if (!r.success) {
      return;
    }
    const c = r.data;
    const path: PathKey[] = ['colors', i];
    if (seen.has(c.name)) {
      out.diagnostics.push(diagnosticAt(parsed, [...path, 'name'], `'${c.name}' is already defined in this file (first at ${seen.get(c.name)})`, 'duplicate-template'));
      return;
    }
    const nameRange = rangeAt(parsed, [...path, 'name']);
    seen.set(c.name, `line ${nameRange.start.line}`);
    const referenceSize = c.referenceSize !== undefined ? toSize(c.referenceSize) : (fileRef ?? { ...TEMPLATE_DEFAULTS.referenceSize });
    const area: Rect = 'w' in c.at ? { x: c.at.x, y: c.at.y, w: c.at.w, h: c.at.h } : { x: c.at.x, y: c.at.y, w: 1, h: 1 };
    const at: Point | Rect = 'w' in c.at ? area : { x: c.at.x, y: c.at.y };
    const right = area.x + area.w;
    const bottom = area.y + area.h;
    if (right > referenceSize.width || bottom > referenceSize.height) {
      out.diagnostics.push(
        diagnosticAt(parsed, [...path, 'at'], `colour check area extends beyond the reference resolution ${referenceSize.width}x${referenceSize.height}`, 'region-out-of-bounds'),
      );
      return;
    }
    out.colors.push({ name: c.name, color: c.color.toLowerCase(), tolerance: c.tolerance ?? TEMPLATE_DEFAULTS.colorTolerance, at, referenceSize });
    const entryRange = rangeAt(parsed, path);
    out.colorSources.push({ file, line: entryRange.start.line, col: entryRange.start.col });
  });
  return out;
}

/**
 * A TemplateSpec for an inline reference: the image path plus options over the defaults. The name is the image
 * path, so results and logs say which image was looked for. Throws a VisionError `path-escape` when the path
 * leaves the workspace.
 */
export function specFromInline(ref: Exclude<TemplateRef, string>): TemplateSpec {
  const image = normalizeImagePath(ref.image);
  if (image === undefined) {
    throw new VisionError('path-escape', `image path '${ref.image}' leaves the workspace (use a path relative to the workspace root)`);
  }
  const layer: OptionInput = {
    threshold: ref.threshold,
    region: ref.region,
    referenceSize: ref.referenceSize,
    mode: ref.mode,
    mask: ref.mask,
    scales: ref.scales,
    maxCount: ref.maxCount,
    nmsIou: ref.nmsIou,
    preload: ref.preload,
  };
  return buildSpec(image, image, [layer]);
}
