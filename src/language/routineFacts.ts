/**
 * What the editor features need to know about one routine file, read from its YAML tree (so it works while
 * the file is being typed and does not validate): the outline of steps, references to templates and routines,
 * parameter declarations, and where variables are defined and used.
 */
import { isMap, isScalar, isSeq, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { ACTION_NAMES } from '../bot/routine/actionCatalogue';
import type { OffsetRange } from './textLines';
import { forEachNode, keyName, nodeRange, pairOf, scalarInnerRange, valueOf, type PathKey } from './yamlNodes';

/** A name written in the file that refers to something (a template, a routine, a parameter, a variable). */
export interface NameRef {
  name: string;
  /** The name's text (without quotes). */
  range: OffsetRange;
}

export interface RoutineRef extends NameRef {
  /** `call` step, a step's `onError: {call}`, or the routine's `onError: {action: call, routine}`. */
  kind: 'call' | 'stepOnError' | 'routineOnError';
  /** Keys of the `params` map passed to the routine. */
  paramKeys: NameRef[];
  /** The `params` map, when present (for edits that add parameters). */
  params?: YAMLMap;
  /** The map holding the reference (the step, the onError map). */
  owner: YAMLMap;
  /** Where the validator reports problems of this call as a whole (the step; the routine's onError map). */
  anchor: OffsetRange;
}

export type VarDefKind = 'param' | 'var' | 'set' | 'increment' | 'save' | 'checkout' | 'accountField';

export interface VarDef extends NameRef {
  kind: VarDefKind;
}

export interface VarUse extends NameRef {
  kind: 'interpolation' | 'condition' | 'since' | 'increment';
}

export interface ParamDecl extends NameRef {
  type?: string;
  default?: unknown;
  description?: string;
  required?: boolean;
  min?: unknown;
  max?: unknown;
  values?: unknown[];
  /** The whole `name: {...}` entry. */
  entry: OffsetRange;
}

export interface OutlineNode {
  label: string;
  detail?: string;
  /** The action of a step; undefined for branches and sections. */
  action?: string;
  range: OffsetRange;
  selection: OffsetRange;
  children: OutlineNode[];
}

export interface RoutineFacts {
  kind: 'routine';
  description?: string;
  params: ParamDecl[];
  templateRefs: NameRef[];
  routineRefs: RoutineRef[];
  varDefs: VarDef[];
  varUses: VarUse[];
  /** Outline: params, sentries and steps (nested for if/while/until/repeat). */
  outline: OutlineNode[];
}

const ACTIONS = new Set<string>(ACTION_NAMES);
const CONDITION_STEP_KEYS = ['if', 'while', 'until', 'assert'];
const VARIABLE_REF = /\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/g;

function ref(node: unknown): NameRef | undefined {
  if (isScalar(node) && typeof node.value === 'string' && node.range) {
    return { name: node.value, range: scalarInnerRange(node as Scalar) };
  }
  return undefined;
}

function keyRef(pair: Pair): NameRef | undefined {
  const k = keyName(pair);
  return k !== undefined && isScalar(pair.key) && pair.key.range ? { name: k, range: scalarInnerRange(pair.key as Scalar) } : undefined;
}

function compact(text: string, r: OffsetRange | undefined, max = 48): string {
  if (!r) {
    return '';
  }
  const s = text.slice(r[0], Math.min(r[1], r[0] + 400)).replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Paths whose strings are documentation, never interpolated (as the loader treats them). */
function isDocumentationPath(path: readonly PathKey[]): boolean {
  if (path.length === 1 && (path[0] === 'description' || path[0] === 'name')) {
    return true;
  }
  if (path[0] === 'tags') {
    return true;
  }
  return path[0] === 'params' && path.length === 3 && (path[2] === 'description' || path[2] === 'label');
}

/** `${name}` references inside a string scalar, located in the source (`$${` is a literal). */
export function interpolationRefs(text: string, node: Scalar): NameRef[] {
  const r = node.range;
  if (!r || typeof node.value !== 'string' || !node.value.includes('${')) {
    return [];
  }
  const src = text.slice(r[0], r[1]);
  const out: NameRef[] = [];
  for (const m of src.matchAll(VARIABLE_REF)) {
    const at = m.index ?? 0;
    if (at > 0 && src[at - 1] === '$') {
      continue;
    }
    const nameAt = at + m[0].indexOf(m[1], 2);
    out.push({ name: m[1], range: [r[0] + nameAt, r[0] + nameAt + m[1].length] });
  }
  return out;
}

class RoutineWalker {
  readonly facts: RoutineFacts = { kind: 'routine', params: [], templateRefs: [], routineRefs: [], varDefs: [], varUses: [], outline: [] };

  constructor(private readonly text: string) {}

  run(root: unknown): RoutineFacts {
    if (!isMap(root)) {
      return this.facts;
    }
    const desc = valueOf(root, 'description');
    if (isScalar(desc) && typeof desc.value === 'string') {
      this.facts.description = desc.value;
    }
    this.params(pairOf(root, 'params'));
    const vars = valueOf(root, 'vars');
    if (isMap(vars)) {
      for (const p of vars.items) {
        const r = keyRef(p);
        if (r) {
          this.facts.varDefs.push({ ...r, kind: 'var' });
        }
      }
    }
    const sentries = pairOf(root, 'sentries');
    if (sentries && isSeq(sentries.value)) {
      const section = this.section('sentries', sentries);
      sentries.value.items.forEach((s) => {
        if (!isMap(s)) {
          return;
        }
        this.condition(valueOf(s, 'when'));
        const name = valueOf(s, 'name');
        const node: OutlineNode = {
          label: `sentry ${isScalar(name) ? String(name.value) : ''}`.trim(),
          range: nodeRange(s) ?? [0, 0],
          selection: nodeRange(pairOf(s, 'name')?.key) ?? nodeRange(s) ?? [0, 0],
          children: this.steps(valueOf(s, 'steps')),
        };
        section.children.push(node);
      });
      this.facts.outline.push(section);
    }
    const onError = valueOf(root, 'onError');
    if (isMap(onError)) {
      const r = ref(valueOf(onError, 'routine'));
      if (r) {
        this.routineRef(r, 'routineOnError', onError);
      }
    }
    const steps = pairOf(root, 'steps');
    if (steps) {
      const section = this.section('steps', steps);
      section.children = this.steps(steps.value);
      this.facts.outline.push(section);
    }
    forEachNode(root, (node, path) => {
      if (isScalar(node) && typeof node.value === 'string' && !isDocumentationPath(path)) {
        for (const r of interpolationRefs(this.text, node as Scalar)) {
          this.facts.varUses.push({ ...r, kind: 'interpolation' });
        }
      }
    });
    const byOffset = (a: NameRef, b: NameRef) => a.range[0] - b.range[0];
    this.facts.varDefs.sort(byOffset);
    this.facts.varUses.sort(byOffset);
    return this.facts;
  }

  private section(label: string, pair: Pair): OutlineNode {
    const start = nodeRange(pair.key)?.[0] ?? 0;
    const end = nodeRange(pair.value)?.[1] ?? nodeRange(pair.key)?.[1] ?? start;
    return { label, range: [start, end], selection: nodeRange(pair.key) ?? [start, start], children: [] };
  }

  private params(pair: Pair | undefined): void {
    if (!pair || !isMap(pair.value)) {
      return;
    }
    const section = this.section('params', pair);
    for (const p of pair.value.items) {
      const r = keyRef(p);
      if (!r) {
        continue;
      }
      const spec = p.value;
      const get = (k: string): unknown => {
        const v = valueOf(spec, k);
        return isScalar(v) ? v.value : isSeq(v) ? v.toJSON() : undefined;
      };
      const decl: ParamDecl = {
        ...r,
        entry: [r.range[0], nodeRange(spec)?.[1] ?? r.range[1]],
        type: typeof get('type') === 'string' ? (get('type') as string) : undefined,
        default: get('default'),
        description: typeof get('description') === 'string' ? (get('description') as string) : undefined,
        required: get('required') === true,
        min: get('min'),
        max: get('max'),
        values: Array.isArray(get('values')) ? (get('values') as unknown[]) : undefined,
      };
      this.facts.params.push(decl);
      this.facts.varDefs.push({ name: r.name, range: r.range, kind: 'param' });
      section.children.push({ label: r.name, detail: decl.type, range: decl.entry, selection: r.range, children: [] });
    }
    this.facts.outline.push(section);
  }

  private routineRef(r: NameRef, kind: RoutineRef['kind'], owner: YAMLMap, anchorNode: unknown = owner): void {
    const params = valueOf(owner, 'params');
    const paramKeys: NameRef[] = [];
    if (isMap(params)) {
      for (const p of params.items) {
        const k = keyRef(p);
        if (k) {
          paramKeys.push(k);
        }
      }
    }
    this.facts.routineRefs.push({ ...r, kind, paramKeys, params: isMap(params) ? params : undefined, owner, anchor: nodeRange(anchorNode) ?? r.range });
  }

  private templateRef(node: unknown): void {
    if (isMap(node)) {
      node = valueOf(node, 'template');
    }
    const r = ref(node);
    if (r) {
      this.facts.templateRefs.push(r);
    }
  }

  private varDef(node: unknown, kind: VarDefKind): void {
    const r = ref(node);
    if (r) {
      this.facts.varDefs.push({ ...r, kind });
    }
  }

  private condition(node: unknown, depth = 0): void {
    if (!isMap(node) || depth > 64) {
      return;
    }
    for (const p of node.items) {
      const k = keyName(p);
      const v = p.value;
      switch (k) {
        case 'image':
        case 'notImage':
          this.templateRef(v);
          break;
        case 'any':
        case 'all':
        case 'none':
          if (isSeq(v)) {
            v.items.forEach((c) => this.condition(c, depth + 1));
          }
          break;
        case 'not':
        case 'condition':
          this.condition(v, depth + 1);
          break;
        case 'var': {
          const r = ref(v);
          if (r) {
            this.facts.varUses.push({ ...r, kind: 'condition' });
          }
          break;
        }
        case 'elapsed': {
          const r = ref(valueOf(v, 'since'));
          if (r && r.name !== 'routine' && r.name !== 'step' && !r.name.includes('${')) {
            this.facts.varUses.push({ ...r, kind: 'since' });
          }
          break;
        }
        default:
          break;
      }
    }
  }

  private steps(node: unknown, depth = 0): OutlineNode[] {
    if (!isSeq(node) || depth > 64) {
      return [];
    }
    const out: OutlineNode[] = [];
    for (const item of node.items) {
      const s = this.step(item, depth);
      if (s) {
        out.push(s);
      }
    }
    return out;
  }

  private step(item: unknown, depth: number): OutlineNode | undefined {
    const range = nodeRange(item);
    if (!range) {
      return undefined;
    }
    if (isScalar(item)) {
      const label = String(item.value ?? '');
      return { label, action: ACTIONS.has(label) ? label : undefined, range, selection: range, children: [] };
    }
    if (!isMap(item)) {
      return undefined;
    }
    const actionPair = item.items.find((p) => ACTIONS.has(keyName(p) ?? ''));
    const action = actionPair ? keyName(actionPair) : undefined;
    const value = actionPair?.value;
    const children: OutlineNode[] = [];
    this.condition(valueOf(item, 'when'), 0);
    const stepOnError = valueOf(item, 'onError');
    if (isMap(stepOnError)) {
      const r = ref(valueOf(stepOnError, 'call'));
      if (r) {
        this.routineRef(r, 'stepOnError', stepOnError, item);
      }
    }
    switch (action) {
      case 'tap':
      case 'longPress':
        this.templateRef(value);
        break;
      case 'call': {
        const r = ref(value);
        if (r) {
          this.routineRef(r, 'call', item);
        }
        const save = valueOf(item, 'save');
        if (isMap(save)) {
          for (const p of save.items) {
            const k = keyRef(p);
            if (k) {
              this.facts.varDefs.push({ ...k, kind: 'save' });
            }
          }
        }
        break;
      }
      case 'waitFor':
        this.condition(isMap(value) && pairOf(value, 'condition') ? valueOf(value, 'condition') : value);
        break;
      case 'set':
        if (isMap(value)) {
          for (const p of value.items) {
            const k = keyRef(p);
            if (k) {
              this.facts.varDefs.push({ ...k, kind: 'set' });
            }
          }
        }
        break;
      case 'increment':
      case 'decrement': {
        const target = isMap(value) ? valueOf(value, 'var') : value;
        const r = ref(target);
        if (r) {
          this.facts.varDefs.push({ ...r, kind: 'increment' });
          this.facts.varUses.push({ ...r, kind: 'increment' });
        }
        break;
      }
      case 'checkoutAccount':
        this.varDef(valueOf(value, 'save'), 'checkout');
        break;
      case 'getAccountField':
        this.varDef(valueOf(value, 'save'), 'accountField');
        break;
      default:
        break;
    }
    if (action && CONDITION_STEP_KEYS.includes(action)) {
      this.condition(value);
    }
    if (action === 'if') {
      children.push(...this.steps(valueOf(item, 'then'), depth + 1));
      const elif = valueOf(item, 'elif');
      if (isSeq(elif)) {
        for (const b of elif.items) {
          if (!isMap(b)) {
            continue;
          }
          const cond = valueOf(b, 'if');
          this.condition(cond);
          const br = nodeRange(b);
          if (br) {
            children.push({ label: `elif ${compact(this.text, nodeRange(cond))}`, range: br, selection: nodeRange(pairOf(b, 'if')?.key) ?? br, children: this.steps(valueOf(b, 'then'), depth + 1) });
          }
        }
      }
      const elsePair = pairOf(item, 'else');
      if (elsePair) {
        const start = nodeRange(elsePair.key)?.[0] ?? range[0];
        children.push({
          label: 'else',
          range: [start, nodeRange(elsePair.value)?.[1] ?? start],
          selection: nodeRange(elsePair.key) ?? [start, start],
          children: this.steps(elsePair.value, depth + 1),
        });
      }
    } else if (action === 'while' || action === 'until' || action === 'repeat') {
      children.push(...this.steps(valueOf(item, 'do'), depth + 1));
    }
    const summary = action ? `${action} ${isScalar(value) ? String(value.value ?? '') : compact(this.text, nodeRange(value))}`.trim() : compact(this.text, range);
    const name = valueOf(item, 'name');
    const named = isScalar(name) && typeof name.value === 'string' ? name.value : undefined;
    return {
      label: named ?? summary,
      detail: named ? summary : undefined,
      action,
      range,
      selection: nodeRange(actionPair?.key) ?? range,
      children,
    };
  }
}

/** Facts of a routine document (its parsed YAML root and text). */
export function routineFacts(root: unknown, text: string): RoutineFacts {
  return new RoutineWalker(text).run(root);
}
