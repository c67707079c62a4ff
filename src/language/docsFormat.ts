/** Markdown shown in hovers and completion items for templates, routines and their parameters. */
import { TEMPLATE_DEFAULTS } from '../bot/vision/templateSchema';
import type { TemplateEntry, RoutineModel } from './workspaceIndex';
import type { ParamDecl } from './routineFacts';
import type { WorkspacePaths } from './workspacePaths';

function escapeMd(s: string): string {
  return s.replace(/[\\`*_[\]<>|]/g, '\\$&');
}

function value(v: unknown): string {
  return v === undefined ? '' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** A template (or colour check) with its image, threshold and region. */
export function templateMarkdown(t: TemplateEntry, paths: WorkspacePaths): string {
  const d = t.def;
  const line = t.file.lines.positionAt(d.nameRange[0]).line + 1;
  const out: string[] = [`**${escapeMd(d.name)}**${d.kind === 'color' ? ' (colour check)' : ''}${d.description ? ` — ${escapeMd(d.description)}` : ''}`];
  if (d.kind === 'template') {
    if (d.image) {
      out.push(`![${escapeMd(d.name)}](${paths.fileUri(d.image)})`);
    }
    const threshold = d.threshold ?? t.file.facts.defaults.threshold;
    out.push(
      `threshold ${threshold ?? TEMPLATE_DEFAULTS.threshold}${d.threshold === undefined ? (threshold !== undefined ? ' (file default)' : ' (default)') : ''}`,
    );
    const region = d.region ?? t.file.facts.defaults.region;
    out.push(region ? `region x ${region.x}, y ${region.y}, w ${region.w}, h ${region.h}${d.region ? '' : ' (file default)'}` : 'region: the whole screen');
    if (d.image) {
      out.push(`image \`${d.image}\``);
    }
  } else {
    out.push(`colour \`${d.color ?? '?'}\`${d.region ? ` at x ${d.region.x}, y ${d.region.y}, w ${d.region.w}, h ${d.region.h}` : ''}`);
  }
  out.push(`defined in \`${t.file.path}\` line ${line}`);
  return out.join('\n\n');
}

/** One parameter: type, bounds, default, required. */
export function paramSummary(p: ParamDecl): string {
  const parts = [p.type ?? 'string'];
  if (p.type === 'enum' && p.values) {
    parts[0] = `enum (${p.values.map(value).join(', ')})`;
  }
  if (p.min !== undefined || p.max !== undefined) {
    parts.push(`${p.min ?? ''}…${p.max ?? ''}`);
  }
  if (p.default !== undefined) {
    parts.push(`default ${value(p.default)}`);
  }
  if (p.required && p.default === undefined) {
    parts.push('required');
  }
  return parts.join(', ');
}

/** A routine: its description and a table of its parameters. */
export function routineMarkdown(r: RoutineModel): string {
  const out = [`**${escapeMd(r.routineName)}** (\`${r.path}\`)`];
  if (r.facts.description) {
    out.push(escapeMd(r.facts.description));
  }
  if (r.facts.params.length) {
    const rows = r.facts.params.map(
      (p) =>
        `| \`${p.name}\`${p.required && p.default === undefined ? ' (required)' : ''} | ${escapeMd(p.type ?? 'string')}${p.values ? ` ${escapeMd(p.values.map(value).join(', '))}` : ''}${p.min !== undefined || p.max !== undefined ? ` ${escapeMd(`${p.min ?? ''}…${p.max ?? ''}`)}` : ''} | ${escapeMd(value(p.default))} | ${escapeMd(p.description ?? '')} |`,
    );
    out.push(['| param | type | default | description |', '|---|---|---|---|', ...rows].join('\n'));
  } else {
    out.push('No parameters.');
  }
  return out.join('\n\n');
}

/** A parameter on its own (hover and completion of call params). */
export function paramMarkdown(routine: string, p: ParamDecl): string {
  return [`**${escapeMd(p.name)}** — parameter of \`${routine}\``, escapeMd(paramSummary(p)), p.description ? escapeMd(p.description) : ''].filter(Boolean).join('\n\n');
}
