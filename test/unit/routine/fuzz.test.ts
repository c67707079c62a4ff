import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as yamlParse, stringify as yamlStringify } from 'yaml';
import { parseRoutine } from '../../../src/bot/routine/loader';
import { ACTION_NAMES } from '../../../src/bot/routine/actionCatalogue';
import type { LoadedStep } from '../../../src/bot/routine/loadedTypes';
import { childStepLists } from '../../../src/bot/routine/staticChecks';
import { mulberry32 } from '../../../src/virtual/game/rng';

const ROOT = path.resolve(__dirname, '../../..');

/** Shipped-style routines: the complete example of the reference plus a few typical game routines. */
function corpus(): string[] {
  const md = readFileSync(path.join(ROOT, 'docs/yaml-reference.md'), 'utf8');
  const full = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('steps:'));
  return [
    ...full,
    `name: Claim missions
description: Claim every reward, at most ten
app: com.emulatorfleet.pocketpacks/.MainActivity
params:
  limit: { type: int, default: 10, min: 1 }
vars: { claimed: 0 }
steps:
  - tap: home_missions_button
  - waitFor: { image: missions_title, timeout: 10s }
  - while: { all: [ { image: claim_button }, { var: claimed, lt: "\${limit}" } ] }
    max: 20
    do:
      - tap: { template: claim_button, threshold: 0.85 }
        retries: 2
        backoff: 300ms
      - increment: claimed
      - if: { image: daily_reward_ok }
        then: [ { tap: daily_reward_ok } ]
        else:
          - wait: 250ms
  - key: BACK
  - log: { message: "claimed \${claimed}", level: info }
`,
    `name: Farm
sentries:
  - name: connection
    every: 1s
    when: { any: [ { image: retry_button }, { color: { at: { x: 10, y: 10 }, color: "#ff0000" } } ] }
    steps: [ { tap: retry_button } ]
    then: restart
onError: { action: call, routine: recover/restart }
stuck: { noProgress: 1m, sameTarget: { count: 4, window: 6 } }
steps:
  - checkoutAccount: { onEmpty: stop, save: acct }
  - restartApp
  - waitFor: { condition: { image: title_logo }, timeout: 30s, interval: 500ms }
  - tap: { region: { x: 0, y: 800, w: 540, h: 160 } }
  - until: { image: home_banner }
    max: 5
    onExhausted: continue
    do: [ { key: BACK }, { wait: 1s } ]
  - call: common/open_pack
    params: { pack: premium, count: 2 }
    save: { cards: card_count }
  - getAccountField: { field: hourglasses, save: hg, default: 0 }
  - updateAccount: { fields: { premium: true }, increment: { hourglasses: 1 } }
  - completeAccount: { stats: { packs_opened: 2 } }
  - screenshot: "done_\${cycle}"
  - if: { elapsed: { since: step, gt: 5m } }
    then: [ { stop: too slow } ]
  - swipe: { from: { x: 270, y: 800 }, to: { x: 270, y: 100 }, duration: 400ms }
  - longPress: { template: card, duration: 2s }
  - text: "hello \${acct}"
  - assert: { appInForeground: com.emulatorfleet.pocketpacks }
    message: app gone
`,
  ];
}

const UNICODE = ['\u0000', '\u0007', '\uFEFF', '\u200F', '\uD800', '\uDC00', '😀', 'é', '\u2028', '中文', '\t', '\r', '"', "'", '{', '}', '[', ']', ':', '#', '&a', '*a', '!!str', '|', '>', '%', '@', '`', '- ', '? '];
const DURATIONS = ['2 seconds', '-1s', '1e9h', '1.5.5s', 's', '', '1d', '999999999999ms', '0x10s', '${', '${d}', ' 2s ', '2S', 'NaN'];
const BAD_INTERP = ['${', '${}', '${a b}', '${1x}', '$${x}', '${x', 'a}${', '${x}}', '${${x}}', '$', '${ok}'];
const HUGE = [1e308, -1e308, 2 ** 53 + 1, -0, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, 1e-320, 123456789012345678901234567890];

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

function mutateText(rnd: () => number, text: string): string {
  const n = 1 + Math.floor(rnd() * 3);
  let t = text;
  for (let k = 0; k < n; k++) {
    const op = Math.floor(rnd() * 10);
    const ls = t.split('\n');
    const li = Math.floor(rnd() * ls.length);
    switch (op) {
      case 0:
        ls.splice(li, 1);
        t = ls.join('\n');
        break;
      case 1:
        ls.splice(li, 0, ls[li] ?? '');
        t = ls.join('\n');
        break;
      case 2: {
        const lj = Math.floor(rnd() * ls.length);
        [ls[li], ls[lj]] = [ls[lj], ls[li]];
        t = ls.join('\n');
        break;
      }
      case 3:
        t = t.slice(0, Math.floor(rnd() * t.length));
        break;
      case 4: {
        const at = Math.floor(rnd() * t.length);
        t = t.slice(0, at) + pick(rnd, UNICODE) + t.slice(at);
        break;
      }
      case 5: {
        const at = Math.floor(rnd() * t.length);
        t = t.slice(0, at) + pick(rnd, UNICODE) + t.slice(at + 1);
        break;
      }
      case 6:
        ls[li] = (rnd() < 0.5 ? '  ' : '') + (ls[li] ?? '').replace(/^ {2}/, rnd() < 0.5 ? '' : '    ');
        t = ls.join('\n');
        break;
      case 7:
        t = t.replace(/(: )([^\n{[]+)/g, (m, a: string, b: string) => (rnd() < 0.15 ? `${a}"${b.replace(/"/g, '')}${pick(rnd, BAD_INTERP)}"` : m));
        break;
      case 8:
        t = t.replace(/\b(\d+(?:\.\d+)?)(ms|s|m)\b/g, (m) => (rnd() < 0.3 ? pick(rnd, DURATIONS).replace(/[:#{}[\]]/g, '') || '0' : m));
        break;
      default:
        t = t.replace(/\b(tap|wait|if|then|do|steps|when|image|var|waitFor|repeat|while)\b/g, (m) => (rnd() < 0.1 ? pick(rnd, [...ACTION_NAMES, 'thne', 'Tap', 'click', 'elif', 'else', 'x']) : m));
        break;
    }
  }
  return t;
}

type Json = unknown;

function randomValue(rnd: () => number, depth = 0): Json {
  const r = Math.floor(rnd() * 12);
  switch (r) {
    case 0:
      return pick(rnd, HUGE);
    case 1:
      return pick(rnd, DURATIONS);
    case 2:
      return pick(rnd, BAD_INTERP);
    case 3:
      return null;
    case 4:
      return rnd() < 0.5;
    case 5:
      return depth < 3 ? [randomValue(rnd, depth + 1), randomValue(rnd, depth + 1)] : [];
    case 6:
      return depth < 3 ? { [pick(rnd, [...ACTION_NAMES, 'x', 'y', 'template', 'then', 'do'])]: randomValue(rnd, depth + 1) } : {};
    case 7:
      return pick(rnd, UNICODE);
    case 8:
      return pick(rnd, ACTION_NAMES);
    case 9:
      return Math.floor(rnd() * 2000) - 1000;
    case 10:
      return 'x'.repeat(Math.floor(rnd() * 300));
    default:
      return pick(rnd, ['BACK', '#12345g', '540x960', 'ok_button', 'a/b', '../x', '']);
  }
}

/** Every container node with a path, to pick mutation sites. */
function containers(v: Json, out: Array<Record<string, unknown> | unknown[]> = []): Array<Record<string, unknown> | unknown[]> {
  if (Array.isArray(v)) {
    out.push(v);
    v.forEach((x) => containers(x, out));
  } else if (v && typeof v === 'object') {
    out.push(v as Record<string, unknown>);
    Object.values(v).forEach((x) => containers(x, out));
  }
  return out;
}

const parsedSeeds = new Map<string, Json>();

function mutateData(rnd: () => number, text: string): string {
  if (!parsedSeeds.has(text)) {
    parsedSeeds.set(text, yamlParse(text));
  }
  const data: Json = structuredClone(parsedSeeds.get(text));
  const n = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < n; k++) {
    const cs = containers(data);
    if (!cs.length) {
      break;
    }
    const c = pick(rnd, cs);
    const op = Math.floor(rnd() * 8);
    if (Array.isArray(c)) {
      const i = Math.floor(rnd() * (c.length + 1));
      if (op < 2 && c.length) {
        c.splice(Math.min(i, c.length - 1), 1);
      } else if (op < 4 && c.length) {
        c.splice(i, 0, structuredClone(c[Math.min(i, c.length - 1)]));
      } else if (op < 5) {
        // deep nesting
        let s: Json = c[0] ?? { wait: 1 };
        const depth = 5 + Math.floor(rnd() * 95);
        for (let d = 0; d < depth; d++) {
          s = rnd() < 0.5 ? { repeat: 1, do: [s] } : { if: { image: 'a' }, then: [s] };
        }
        c.splice(i, 0, s);
      } else {
        c.splice(i, 0, randomValue(rnd));
      }
      continue;
    }
    const keys = Object.keys(c);
    const key = keys.length ? pick(rnd, keys) : 'x';
    switch (op) {
      case 0:
        delete c[key];
        break;
      case 1:
        c[`${key}${pick(rnd, ['', '2', '_', 'x'])}`] = structuredClone(c[key]);
        break;
      case 2: {
        const v = c[key];
        delete c[key];
        c[pick(rnd, [key.slice(1), key.toUpperCase(), `${key}e`, pick(rnd, ACTION_NAMES), 'action', 'routine_name'])] = v;
        break;
      }
      case 3: {
        const v = c[key];
        c[key] = typeof v === 'string' ? Number(v.length) : typeof v === 'number' ? String(v) : Array.isArray(v) ? { list: v } : v && typeof v === 'object' ? [v] : 'text';
        break;
      }
      case 4:
        c[key] = pick(rnd, HUGE);
        break;
      case 5:
        c[key] = pick(rnd, DURATIONS);
        break;
      case 6:
        c[key] = pick(rnd, BAD_INTERP);
        break;
      default:
        c[key] = randomValue(rnd);
        break;
    }
  }
  try {
    return rnd() < 0.5 ? JSON.stringify(data, null, rnd() < 0.5 ? 1 : undefined) : yamlStringify(data, { aliasDuplicateObjects: false });
  } catch {
    return text;
  }
}

function checkResult(text: string, file: string, index: number): 'ok' | 'rejected' {
  let r: ReturnType<typeof parseRoutine>;
  try {
    r = parseRoutine(text, file, 'fuzz');
  } catch (e) {
    assert.fail(`document ${index} threw ${e instanceof Error ? e.stack : String(e)}\n---\n${text.slice(0, 2000)}`);
  }
  const lineCount = text.split(/\r\n|\r|\n/).length + 1;
  for (const d of r.diagnostics) {
    const ok =
      d.file === file &&
      Number.isInteger(d.line) &&
      d.line >= 1 &&
      d.line <= lineCount &&
      Number.isInteger(d.col) &&
      d.col >= 1 &&
      typeof d.message === 'string' &&
      d.message.trim().length > 0 &&
      !d.message.includes('\u0000unknown-keys') &&
      (d.severity === 'error' || d.severity === 'warning');
    assert.ok(ok, `document ${index}: bad diagnostic ${JSON.stringify(d)}\n---\n${text.slice(0, 2000)}`);
    // Whatever passes validation loads: an internal error would mean the schema let a bad value through.
    assert.notEqual(d.code, 'internal-error', `document ${index}: ${d.message}\n---\n${text.slice(0, 2000)}`);
  }
  if (!r.value) {
    assert.ok(
      r.diagnostics.some((d) => d.severity === 'error'),
      `document ${index}: rejected without an error\n---\n${text.slice(0, 2000)}`,
    );
    return 'rejected';
  }
  assert.ok(!r.diagnostics.some((d) => d.severity === 'error'), `document ${index}: accepted with errors`);
  const visit = (steps: LoadedStep[]) => {
    for (const s of steps) {
      assert.ok(s.range.start.line >= 1 && s.path.length > 0 && ACTION_NAMES.includes(s.action), `document ${index}: bad step ${s.path}`);
      childStepLists(s).forEach((c) => visit(c.steps));
    }
  };
  visit(r.value.steps);
  r.value.sentries.forEach((s) => visit(s.steps));
  return 'ok';
}

describe('(unit) routine fuzz', function () {
  // About 7 s on an idle 2-core machine; the limit is generous so a loaded box does not fail it on time alone.
  this.timeout(120_000);
  const seeds = corpus();

  it('every seed routine is valid', () => {
    assert.ok(seeds.length >= 5);
    for (const [i, s] of seeds.entries()) {
      const r = parseRoutine(s, `seed${i}.yaml`);
      assert.deepEqual(
        r.diagnostics.filter((d) => d.severity === 'error'),
        [],
        `seed ${i}`,
      );
    }
  });

  for (const [kind, mutate, seed] of [
    ['text', mutateText, 0x5eed01],
    ['data', mutateData, 0x5eed02],
  ] as const) {
    it(`5,000 ${kind}-level mutations: no exception, every rejection is a located diagnostic`, () => {
      const rnd = mulberry32(seed); // seeded, so every run mutates the same way
      let rejected = 0;
      let mutateMs = 0;
      let checkMs = 0;
      for (let i = 0; i < 5000; i++) {
        const t0 = performance.now();
        const text = mutate(rnd, pick(rnd, seeds));
        const t1 = performance.now();
        if (checkResult(text, `routines/fuzz_${kind}.yaml`, i) === 'rejected') {
          rejected++;
        }
        mutateMs += t1 - t0;
        checkMs += performance.now() - t1;
      }
      if (process.env.FUZZ_TIMING) {
        console.log(`${kind}: mutate ${mutateMs.toFixed(0)} ms, load ${checkMs.toFixed(0)} ms, ${rejected} rejected`);
      }
      // The mutations must really exercise the error paths (and leave some documents valid).
      assert.ok(rejected > 1500, `only ${rejected} rejected`);
      assert.ok(rejected < 5000, 'every document rejected');
    });
  }
});
