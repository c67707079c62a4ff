/**
 * The commands of the virtual device's shell: the Android tools bots use (`screencap`, `input`, `am`, `pm`,
 * `dumpsys`, `getprop`, `wm`, `pidof`, ...), a few toybox basics (`echo`, `cat`, `ls`, `rm`, `mkdir`, `grep`, ...),
 * and `vdev`, the virtual device's debug command. Output formats follow Android 14.
 */
import { createHash } from 'node:crypto';
import type { CommandContext, CommandHandler } from './shell';
import type { FrameCorruption } from './faults';
import { keyCodeFromString, keyCodeName } from './keyCodes';
import { LAUNCHER_PACKAGE, type PopupKind } from './types';
import { normalizePath, STRERROR, VfsError } from './vfs';

/** The packages `pm list packages` shows besides the app's own. */
export const SYSTEM_PACKAGES = ['android', 'com.android.adbkeyboard', LAUNCHER_PACKAGE, 'com.android.settings', 'com.android.shell', 'com.android.systemui'];
export const ADB_KEYBOARD_IME = 'com.android.adbkeyboard/.AdbIME';
export const LATIN_IME = 'com.android.inputmethod.latin/.LatinIME';
const LAUNCHER_PID = 1234;

const DEVICE_FEATURES = [
  'android.hardware.audio.output',
  'android.hardware.faketouch',
  'android.hardware.screen.portrait',
  'android.hardware.touchscreen',
  'android.hardware.touchscreen.multitouch',
  'android.software.input_methods',
  'reqGlEsVersion=0x30000',
];

/** Milliseconds from `250ms`, `2s`, `1m` or a plain number of ms; undefined when malformed. */
export function parseDurationMs(s: string | undefined): number | undefined {
  if (s === undefined) {
    return undefined;
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) {
    return undefined;
  }
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

/** Resolves after `ms` or when `signal` aborts (never rejects). */
export function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `.MainActivity` of `com.x` -> `com.x.MainActivity`. */
function fullActivity(pkg: string, activity: string): string {
  return activity.startsWith('.') ? pkg + activity : activity;
}

/** A stable 7-hex-digit token, like the hash codes in dumpsys output. */
function token(s: string): string {
  return createHash('md5').update(s).digest('hex').slice(0, 7);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

function modeString(mode: number, isDir: boolean): string {
  const rwx = (bits: number): string => `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
  return `${isDir ? 'd' : '-'}${rwx((mode >> 6) & 7)}${rwx((mode >> 3) & 7)}${rwx(mode & 7)}`;
}

/** Splits leading `-abc` flags (until `--` or the first operand) into a set of letters. */
function takeFlags(args: string[], allowed: string): { flags: Set<string>; rest: string[]; bad?: string } {
  const flags = new Set<string>();
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      break;
    }
    for (const ch of a.slice(1)) {
      if (!allowed.includes(ch)) {
        return { flags, rest: args.slice(i), bad: ch };
      }
      flags.add(ch);
    }
  }
  return { flags, rest: args.slice(i) };
}

function parseCoord(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?(\d+\.?\d*|\.\d+)$/.test(s)) {
    return undefined;
  }
  return Number(s);
}

/** mksh `echo`: `-n`/`-e`/`-E` options, backslash escapes interpreted by default, `\c` stops output. */
function echo(ctx: CommandContext): Promise<number> {
  let newline = true;
  let escapes = true;
  let i = 0;
  for (; i < ctx.args.length; i++) {
    const a = ctx.args[i];
    if (!/^-[neE]+$/.test(a)) {
      break;
    }
    for (const ch of a.slice(1)) {
      if (ch === 'n') {
        newline = false;
      } else {
        escapes = ch === 'e';
      }
    }
  }
  let text = ctx.args.slice(i).join(' ');
  if (escapes && text.includes('\\')) {
    let out = '';
    for (let j = 0; j < text.length; j++) {
      const c = text[j];
      if (c !== '\\' || j + 1 >= text.length) {
        out += c;
        continue;
      }
      const n = text[++j];
      const map: Record<string, string> = { a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
      if (n === 'c') {
        newline = false;
        break;
      }
      if (n === '0') {
        let oct = '';
        while (oct.length < 3 && /[0-7]/.test(text[j + 1] ?? '')) {
          oct += text[++j];
        }
        out += String.fromCharCode(oct ? parseInt(oct, 8) : 0);
      } else if (n in map) {
        out += map[n];
      } else {
        out += `\\${n}`;
      }
    }
    text = out;
  }
  return ctx.out(newline ? `${text}\n` : text).then(() => 0);
}

async function cat(ctx: CommandContext): Promise<number> {
  const files = ctx.args.filter((a) => a !== '-u');
  if (files.length === 0) {
    await ctx.out(await ctx.stdin());
    return 0;
  }
  let status = 0;
  for (const f of files) {
    if (f === '-') {
      await ctx.out(await ctx.stdin());
      continue;
    }
    const file = ctx.device.fs.read(f);
    if (!file) {
      await ctx.err(`cat: ${f}: ${ctx.device.fs.isDir(f) ? STRERROR.EISDIR : STRERROR.ENOENT}\n`);
      status = 1;
      continue;
    }
    await ctx.out(file.data);
  }
  return status;
}

async function ls(ctx: CommandContext): Promise<number> {
  const { flags, rest, bad } = takeFlags(ctx.args, 'laA1dhnR');
  if (bad) {
    await ctx.err(`ls: Unknown option '${bad}'\n`);
    return 1;
  }
  const fs = ctx.device.fs;
  const long = flags.has('l') || flags.has('n');
  const all = flags.has('a');
  const targets = rest.length > 0 ? rest : ['.'];
  const line = (name: string, st: { isDir: boolean; size: number; mode: number; mtimeMs: number }): string =>
    long ? `${modeString(st.mode, st.isDir)} ${st.isDir ? 2 : 1} ${st.isDir ? 'root' : 'shell'} ${st.isDir ? 'root' : 'shell'} ${String(st.size).padStart(8)} ${formatDate(st.mtimeMs)} ${name}` : name;
  let status = 0;
  const out: string[] = [];
  const fileArgs: string[] = [];
  const dirArgs: string[] = [];
  for (const t of targets) {
    const path = normalizePath(t === '.' ? '/' : t);
    const st = fs.stat(path);
    if (!st) {
      await ctx.err(`ls: ${t}: ${STRERROR.ENOENT}\n`);
      status = 1;
    } else if (st.isDir && !flags.has('d')) {
      dirArgs.push(t);
    } else {
      fileArgs.push(t);
      out.push(line(t, st));
    }
  }
  for (const t of dirArgs) {
    const path = normalizePath(t === '.' ? '/' : t);
    if (targets.length > 1) {
      if (out.length > 0) {
        out.push('');
      }
      out.push(`${t}:`);
    }
    if (long) {
      out.push(`total ${fs.list(path).length}`);
    }
    if (all) {
      const st = fs.stat(path);
      if (st) {
        out.push(line('.', st), line('..', fs.stat(normalizePath(`${path}/..`)) ?? st));
      }
    }
    for (const e of fs.list(path)) {
      if (!all && !flags.has('A') && e.name.startsWith('.')) {
        continue;
      }
      out.push(line(e.name, e));
    }
  }
  if (out.length > 0) {
    await ctx.out(`${out.join('\n')}\n`);
  }
  return status;
}

async function rm(ctx: CommandContext): Promise<number> {
  const { flags, rest, bad } = takeFlags(ctx.args, 'frRvi');
  if (bad) {
    await ctx.err(`rm: Unknown option '${bad}'\n`);
    return 1;
  }
  if (rest.length === 0 && !flags.has('f')) {
    await ctx.err('rm: Need 1 argument\n');
    return 1;
  }
  const fs = ctx.device.fs;
  let status = 0;
  for (const p of rest) {
    const st = fs.stat(p);
    if (!st) {
      if (!flags.has('f')) {
        await ctx.err(`rm: ${p}: ${STRERROR.ENOENT}\n`);
        status = 1;
      }
      continue;
    }
    if (st.isDir) {
      if (!flags.has('r') && !flags.has('R')) {
        await ctx.err(`rm: ${p}: ${STRERROR.EISDIR}\n`);
        status = 1;
        continue;
      }
      try {
        fs.removeTree(p);
      } catch (e) {
        await ctx.err(`rm: ${p}: ${e instanceof VfsError ? STRERROR[e.code] : String(e)}\n`);
        status = 1;
      }
      continue;
    }
    fs.remove(p);
  }
  return status;
}

async function mkdir(ctx: CommandContext): Promise<number> {
  const args = [...ctx.args];
  let mode: number | undefined;
  const mi = args.indexOf('-m');
  if (mi >= 0) {
    mode = parseInt(args[mi + 1] ?? '', 8);
    args.splice(mi, 2);
  }
  const { flags, rest, bad } = takeFlags(args, 'pv');
  if (bad || rest.length === 0) {
    await ctx.err(bad ? `mkdir: Unknown option '${bad}'\n` : 'mkdir: Need 1 argument\n');
    return 1;
  }
  let status = 0;
  for (const p of rest) {
    try {
      ctx.device.fs.mkdir(p, { parents: flags.has('p'), mode: Number.isFinite(mode) ? mode : undefined });
    } catch (e) {
      await ctx.err(`mkdir: ${p}: ${e instanceof VfsError ? STRERROR[e.code] : String(e)}\n`);
      status = 1;
    }
  }
  return status;
}

async function chmod(ctx: CommandContext): Promise<number> {
  const args = ctx.args.filter((a) => a !== '-R');
  if (args.length < 2) {
    await ctx.err('chmod: Need 2 arguments\n');
    return 1;
  }
  const [mode, ...paths] = args;
  let status = 0;
  for (const p of paths) {
    if (!ctx.device.fs.stat(p)) {
      await ctx.err(`chmod: ${p}: ${STRERROR.ENOENT}\n`);
      status = 1;
    } else if (/^[0-7]{1,4}$/.test(mode)) {
      ctx.device.fs.chmod(p, parseInt(mode, 8));
    }
  }
  return status;
}

async function touch(ctx: CommandContext): Promise<number> {
  let status = 0;
  for (const p of ctx.args.filter((a) => !a.startsWith('-'))) {
    const f = ctx.device.fs.read(p);
    try {
      if (f) {
        ctx.device.fs.setMtime(p, Date.now());
      } else if (!ctx.device.fs.isDir(p)) {
        ctx.device.fs.write(p, Buffer.alloc(0));
      }
    } catch (e) {
      await ctx.err(`touch: ${p}: ${e instanceof VfsError ? STRERROR[e.code] : String(e)}\n`);
      status = 1;
    }
  }
  return status;
}

/** Basic regular expression (grep without -E) to a JS RegExp source. */
function breToJs(re: string): string {
  let out = '';
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\' && i + 1 < re.length) {
      const n = re[++i];
      out += '|(){}+?'.includes(n) ? n : `\\${n}`;
    } else if ('|(){}+?'.includes(c)) {
      out += `\\${c}`;
    } else {
      out += c;
    }
  }
  return out;
}

async function grep(ctx: CommandContext): Promise<number> {
  const args = [...ctx.args];
  const patterns: string[] = [];
  const flags = new Set<string>();
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-e') {
      patterns.push(args[++i] ?? '');
    } else if (a.startsWith('-') && a.length > 1 && files.length === 0 && patterns.length === 0) {
      for (const ch of a.slice(1)) {
        if (!'EFivcqwnxs'.includes(ch)) {
          await ctx.err(`grep: Unknown option '${ch}'\n`);
          return 2;
        }
        flags.add(ch);
      }
    } else if (patterns.length === 0 && !args.slice(0, i).includes('-e')) {
      patterns.push(a);
    } else {
      files.push(a);
    }
  }
  if (patterns.length === 0) {
    await ctx.err('grep: No pattern\n');
    return 2;
  }
  let regexes: RegExp[];
  try {
    regexes = patterns.map((p) => {
      let src = flags.has('F') ? p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : flags.has('E') ? p : breToJs(p);
      if (flags.has('w')) {
        src = `\\b(?:${src})\\b`;
      }
      if (flags.has('x')) {
        src = `^(?:${src})$`;
      }
      return new RegExp(src, flags.has('i') ? 'i' : '');
    });
  } catch {
    await ctx.err(`grep: bad regex '${patterns[0]}'\n`);
    return 2;
  }
  const inputs: { name: string; text: string }[] = [];
  let status = 0;
  if (files.length === 0) {
    inputs.push({ name: '(standard input)', text: (await ctx.stdin()).toString('utf8') });
  }
  for (const f of files) {
    const file = ctx.device.fs.read(f);
    if (!file) {
      if (!flags.has('s')) {
        await ctx.err(`grep: ${f}: ${STRERROR.ENOENT}\n`);
      }
      status = 2;
      continue;
    }
    inputs.push({ name: f, text: file.data.toString('utf8') });
  }
  let matched = 0;
  const out: string[] = [];
  for (const input of inputs) {
    const lines = input.text.split('\n');
    if (lines[lines.length - 1] === '') {
      lines.pop();
    }
    let count = 0;
    lines.forEach((l, idx) => {
      const hit = regexes.some((r) => r.test(l)) !== flags.has('v');
      if (hit) {
        count++;
        if (!flags.has('c') && !flags.has('q')) {
          out.push(`${inputs.length > 1 ? `${input.name}:` : ''}${flags.has('n') ? `${idx + 1}:` : ''}${l}`);
        }
      }
    });
    if (flags.has('c')) {
      out.push(`${inputs.length > 1 ? `${input.name}:` : ''}${count}`);
    }
    matched += count;
  }
  if (!flags.has('q') && out.length > 0) {
    await ctx.out(`${out.join('\n')}\n`);
  }
  return matched > 0 ? 0 : status || 1;
}

async function md5sum(ctx: CommandContext): Promise<number> {
  let status = 0;
  const files = ctx.args.length > 0 ? ctx.args : ['-'];
  for (const f of files) {
    const data = f === '-' ? await ctx.stdin() : ctx.device.fs.read(f)?.data;
    if (!data) {
      await ctx.err(`md5sum: ${f}: ${STRERROR.ENOENT}\n`);
      status = 1;
      continue;
    }
    await ctx.out(`${createHash('md5').update(data).digest('hex')}  ${f}\n`);
  }
  return status;
}

async function sleep(ctx: CommandContext): Promise<number> {
  const s = ctx.args[0];
  if (s === undefined || !/^(\d+\.?\d*|\.\d+)$/.test(s)) {
    await ctx.err(s === undefined ? 'sleep: Needs 1 argument\n' : `sleep: invalid number '${s}'\n`);
    return 1;
  }
  await sleepFor(Number(s) * 1000, ctx.signal);
  return 0;
}

async function getprop(ctx: CommandContext): Promise<number> {
  const props = ctx.device.properties();
  const [key, def] = ctx.args;
  if (key === undefined) {
    const lines = Object.keys(props)
      .sort()
      .map((k) => `[${k}]: [${props[k]}]`);
    await ctx.out(`${lines.join('\n')}\n`);
    return 0;
  }
  await ctx.out(`${props[key] ?? def ?? ''}\n`);
  return 0;
}

async function setprop(ctx: CommandContext): Promise<number> {
  if (ctx.args.length !== 2) {
    await ctx.err('setprop: Need 2 arguments\n');
    return 1;
  }
  ctx.device.setProperty(ctx.args[0], ctx.args[1]);
  return 0;
}

async function wm(ctx: CommandContext): Promise<number> {
  const { app } = ctx.device;
  switch (ctx.args[0]) {
    case 'size':
      await ctx.out(`Physical size: ${app.width}x${app.height}\n`);
      return 0;
    case 'density':
      await ctx.out('Physical density: 240\n');
      return 0;
    default:
      await ctx.err(`Unknown command: ${ctx.args[0] ?? ''}\n`);
      return 255;
  }
}

const INPUT_SOURCES = new Set(['keyboard', 'mouse', 'touchscreen', 'touchpad', 'touchnavigation', 'stylus', 'trackball', 'dpad', 'gamepad', 'joystick', 'rotaryencoder']);

/** `input text` turns `%s` into a space exactly as Android's InputShellCommand does. */
export function decodeInputText(arg: string): string {
  const chars = [...arg];
  let escape = false;
  for (let i = 0; i < chars.length; i++) {
    if (escape) {
      escape = false;
      if (chars[i] === 's') {
        chars[i] = ' ';
        chars.splice(--i, 1);
      }
    }
    if (chars[i] === '%') {
      escape = true;
    }
  }
  return chars.join('');
}

/** Characters the virtual keyboard's key character map can type (`input text` fails on anything else). */
function typeable(s: string): boolean {
  return /^[\x20-\x7e\n\t]*$/.test(s);
}

async function input(ctx: CommandContext): Promise<number> {
  const args = [...ctx.args];
  if (args[0] !== undefined && INPUT_SOURCES.has(args[0])) {
    args.shift();
  }
  if (args[0] === '-d') {
    args.splice(0, 2);
  }
  const [cmd, ...rest] = args;
  const { app, inputLog } = ctx.device;
  const usage = async (): Promise<number> => {
    await ctx.err(`Error: Invalid arguments for command: ${cmd ?? ''}\nUsage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]\n`);
    return 1;
  };
  switch (cmd) {
    case 'tap': {
      const [x, y] = rest.map(parseCoord);
      if (rest.length !== 2 || x === undefined || y === undefined) {
        return usage();
      }
      app.tap(x, y);
      inputLog.record({ kind: 'tap', x, y });
      return 0;
    }
    case 'swipe':
    case 'draganddrop': {
      const nums = rest.map(parseCoord);
      if ((rest.length !== 4 && rest.length !== 5) || nums.some((n) => n === undefined)) {
        return usage();
      }
      const [x1, y1, x2, y2] = nums as number[];
      const durationMs = rest.length === 5 ? Math.max(0, Math.round(nums[4] as number)) : 300;
      // The gesture takes its duration on a real device too; the app sees it complete.
      await sleepFor(Math.min(durationMs, 60_000), ctx.signal);
      if (x1 === x2 && y1 === y2) {
        app.longPress(x1, y1, durationMs);
        inputLog.record({ kind: 'longpress', x: x1, y: y1, durationMs });
      } else {
        app.swipe(x1, y1, x2, y2, durationMs);
        inputLog.record({ kind: 'swipe', x1, y1, x2, y2, durationMs });
      }
      return 0;
    }
    case 'text': {
      if (rest.length === 0) {
        return usage();
      }
      const text = decodeInputText(rest[0]);
      if (!typeable(text)) {
        await ctx.err(
          "Exception occurred while executing 'text':\njava.lang.NullPointerException: Attempt to get length of null array\n\tat com.android.server.input.InputShellCommand.sendText(InputShellCommand.java:386)\n",
        );
        return 255;
      }
      app.text(text);
      inputLog.record({ kind: 'text', text, via: 'input' });
      return 0;
    }
    case 'keyevent':
    case 'keycombination': {
      const codes: number[] = [];
      for (const a of rest) {
        if (a === '--longpress' || a === '--doubletap') {
          continue;
        }
        const code = keyCodeFromString(a);
        if (code === undefined) {
          await ctx.err(`Error: Unknown keycode: ${a}\n`);
          return 1;
        }
        codes.push(code);
      }
      if (codes.length === 0) {
        return usage();
      }
      for (const code of codes) {
        app.key(code);
        inputLog.record({ kind: 'key', code, name: keyCodeName(code) });
      }
      return 0;
    }
    case 'press': {
      app.key(23);
      inputLog.record({ kind: 'key', code: 23, name: keyCodeName(23) });
      return 0;
    }
    default:
      await ctx.err(`Error: Unknown command: ${cmd ?? ''}\nUsage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]\n`);
      return 1;
  }
}

const AM_VALUE_FLAGS = new Set(['-a', '-d', '-t', '-c', '-f', '-n', '-p', '-i', '-P', '-R', '--user', '--receiver-permission', '--activity-type', '--windowingMode', '--display', '--start-profiler', '--sampling', '--attach-agent', '--task']);
const AM_EXTRA_FLAGS = new Set(['-e', '--es', '--esn', '--ez', '--ei', '--el', '--ef', '--ed', '--eu', '--ecn', '--eia', '--eial', '--ela', '--elal', '--efa', '--efal', '--esa', '--esal']);

interface Intent {
  action?: string;
  component?: string;
  pkg?: string;
  flags?: string;
  categories: string[];
  extras: Record<string, string>;
  options: Set<string>;
}

function parseIntent(args: string[]): Intent | string {
  const intent: Intent = { categories: [], extras: {}, options: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (AM_EXTRA_FLAGS.has(a)) {
      if (i + 2 >= args.length + (a === '--esn' ? 1 : 0)) {
        return `Error: No value for extra ${a}`;
      }
      if (a === '--esn') {
        intent.extras[args[++i]] = '';
      } else {
        const k = args[++i];
        intent.extras[k] = args[++i];
      }
    } else if (AM_VALUE_FLAGS.has(a)) {
      const v = args[++i];
      if (v === undefined) {
        return `Error: No argument for option ${a}`;
      }
      if (a === '-a') {
        intent.action = v;
      } else if (a === '-n') {
        intent.component = v;
      } else if (a === '-p') {
        intent.pkg = v;
      } else if (a === '-c') {
        intent.categories.push(v);
      } else if (a === '-f') {
        intent.flags = v;
      }
    } else if (a.startsWith('-')) {
      intent.options.add(a);
    } else if (a.includes('/')) {
      intent.component = a;
    } else {
      intent.pkg = a;
    }
  }
  return intent;
}

/** `pkg/.Act` -> `pkg/pkg.Act` (the long form am prints in errors). */
function expandComponent(component: string): string {
  const [pkg, act = ''] = component.split('/');
  return `${pkg}/${fullActivity(pkg, act)}`;
}

async function am(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  const { app, inputLog } = ctx.device;
  switch (sub) {
    case 'start':
    case 'start-activity': {
      const intent = parseIntent(rest);
      if (typeof intent === 'string') {
        await ctx.err(`${intent}\n`);
        return 255;
      }
      const component = intent.component;
      if (!component) {
        await ctx.err('Error: Activity not started, unable to resolve Intent { (has extras) }\n');
        return 255;
      }
      const [pkg] = component.split('/');
      const wait = intent.options.has('-W');
      await ctx.out(`Starting: Intent { ${intent.action ? `act=${intent.action} ` : ''}${intent.flags ? `flg=${intent.flags} ` : ''}cmp=${component} }\n`);
      if (pkg === LAUNCHER_PACKAGE) {
        app.key(3);
        return 0;
      }
      if (intent.options.has('-S')) {
        app.forceStop(pkg);
      }
      const wasRunning = app.pid() !== undefined;
      const wasFocused = app.focused().pkg === pkg;
      const t0 = ctx.device.now();
      if (!app.start(component)) {
        await ctx.err(`Error type 3\nError: Activity class {${expandComponent(component)}} does not exist.\n`);
        return 255;
      }
      if (wasFocused && wasRunning) {
        await ctx.out('Warning: Activity not started, intent has been delivered to currently running top-most instance.\n');
      }
      if (wait) {
        const took = Math.max(1, Math.round(ctx.device.now() - t0));
        await ctx.out(`Status: ok\nLaunchState: ${wasRunning ? (wasFocused ? 'HOT' : 'WARM') : 'COLD'}\nActivity: ${component}\nTotalTime: ${took}\nWaitTime: ${took + 2}\nComplete\n`);
      }
      return 0;
    }
    case 'force-stop':
    case 'kill': {
      const pkg = rest.filter((a) => !a.startsWith('-'))[0];
      if (!pkg) {
        await ctx.err(`Error: no package specified\n`);
        return 255;
      }
      if (sub === 'force-stop') {
        app.forceStop(pkg);
      }
      return 0;
    }
    case 'broadcast': {
      const intent = parseIntent(rest);
      if (typeof intent === 'string') {
        await ctx.err(`${intent}\n`);
        return 255;
      }
      const hasExtras = Object.keys(intent.extras).length > 0;
      await ctx.out(`Broadcasting: Intent { ${intent.action ? `act=${intent.action} ` : ''}flg=0x400000${hasExtras ? ' (has extras)' : ''} }\n`);
      deliverKeyboardBroadcast(ctx, intent, (text) => {
        app.text(text);
        inputLog.record({ kind: 'text', text, via: 'broadcast' });
      });
      await ctx.out('Broadcast completed: result=0\n');
      return 0;
    }
    default:
      await ctx.err(`Unknown command: ${sub ?? ''}\n`);
      return 255;
  }
}

/** The ADBKeyboard IME's broadcasts: ADB_INPUT_B64 / ADB_INPUT_TEXT (msg), ADB_INPUT_CODE (code). */
function deliverKeyboardBroadcast(ctx: CommandContext, intent: Intent, text: (s: string) => void): void {
  switch (intent.action) {
    case 'ADB_INPUT_B64': {
      const msg = intent.extras.msg;
      if (msg !== undefined && /^[A-Za-z0-9+/]*={0,2}$/.test(msg) && msg.length % 4 === 0) {
        const s = Buffer.from(msg, 'base64').toString('utf8');
        if (s.length > 0) {
          text(s);
        }
      }
      return;
    }
    case 'ADB_INPUT_TEXT': {
      const msg = intent.extras.msg;
      if (msg) {
        text(msg);
      }
      return;
    }
    case 'ADB_INPUT_CODE': {
      const code = Number(intent.extras.code);
      if (Number.isInteger(code)) {
        ctx.device.app.key(code);
        ctx.device.inputLog.record({ kind: 'key', code, name: keyCodeName(code) });
      }
      return;
    }
    default:
      return;
  }
}

function packages(ctx: CommandContext): string[] {
  return [...new Set([ctx.device.app.packageName, ...SYSTEM_PACKAGES])].sort();
}

async function pm(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  const { app } = ctx.device;
  if (sub === 'list' && (rest[0] === 'packages' || rest[0] === 'package')) {
    const filter = rest.slice(1).filter((a) => !a.startsWith('-'))[0];
    const third = rest.includes('-3');
    const list = packages(ctx).filter((p) => (!filter || p.includes(filter)) && (!third || p === app.packageName || p === 'com.android.adbkeyboard'));
    const showPath = rest.includes('-f');
    await ctx.out(list.map((p) => `package:${showPath ? `/data/app/${p}-1/base.apk=` : ''}${p}\n`).join(''));
    return 0;
  }
  if (sub === 'list' && rest[0] === 'features') {
    await ctx.out(DEVICE_FEATURES.map((f) => `feature:${f}\n`).join(''));
    return 0;
  }
  if (sub === 'path') {
    const pkg = rest[0];
    if (!pkg || !packages(ctx).includes(pkg)) {
      return 1;
    }
    await ctx.out(`package:/data/app/~~virtual==/${pkg}-1/base.apk\n`);
    return 0;
  }
  if (sub === 'clear') {
    const pkg = rest.filter((a) => !a.startsWith('-'))[0];
    if (!pkg || !packages(ctx).includes(pkg)) {
      await ctx.out('Failed\n');
      return 1;
    }
    app.forceStop(pkg);
    ctx.device.fs.removeTree(`/data/data/${pkg}`);
    ctx.device.fs.mkdir(`/data/data/${pkg}`, { parents: true });
    await ctx.out('Success\n');
    return 0;
  }
  await ctx.err(`Unknown command: ${sub ?? ''}\n`);
  return 255;
}

async function pidof(ctx: CommandContext): Promise<number> {
  const { app } = ctx.device;
  const pids: number[] = [];
  for (const name of ctx.args.filter((a) => !a.startsWith('-'))) {
    if (name === app.packageName) {
      const pid = app.pid();
      if (pid !== undefined) {
        pids.push(pid);
      }
    } else if (name === LAUNCHER_PACKAGE) {
      pids.push(LAUNCHER_PID);
    }
  }
  if (pids.length === 0) {
    return 1;
  }
  await ctx.out(`${pids.join(' ')}\n`);
  return 0;
}

function focusDescription(ctx: CommandContext): { window: string; record: string; pkg: string; activity: string; task: number } {
  const f = ctx.device.app.focused();
  const full = fullActivity(f.pkg, f.activity);
  const task = f.pkg === LAUNCHER_PACKAGE ? 1 : 12;
  return {
    window: `Window{${token(`w:${f.pkg}${full}`)} u0 ${f.pkg}/${full}}`,
    record: `ActivityRecord{${token(`a:${f.pkg}${full}`)} u0 ${f.pkg}/${f.activity} t${task}}`,
    pkg: f.pkg,
    activity: full,
    task,
  };
}

async function dumpsys(ctx: CommandContext): Promise<number> {
  const [service, sub] = ctx.args;
  const { app } = ctx.device;
  const f = focusDescription(ctx);
  if (service === 'window') {
    const lines: string[] = [];
    if (sub === undefined || sub === 'windows' || sub === 'w') {
      lines.push('WINDOW MANAGER WINDOWS (dumpsys window windows)');
      lines.push(`  Window #0 ${f.window}:`);
      lines.push(`    mDisplayId=0 rootTaskId=${f.task} mSession=Session{${token('session')} ${app.pid() ?? LAUNCHER_PID}:u0a10123} mClient=android.os.BinderProxy@${token('client')}`);
      lines.push(`    mOwnerUid=10123 showForAllUsers=false package=${f.pkg} appop=NONE`);
      lines.push(`    mAttrs={(0,0)(fillxfill) sim={adjust=resize} ty=BASE_APPLICATION fmt=TRANSLUCENT wanim=0x10302fe}`);
      lines.push(`    Requested w=${app.width} h=${app.height} mLayoutSeq=42`);
      lines.push(`    mHasSurface=true isReadyForDisplay()=true mWindowRemovalAllowed=false`);
      lines.push(`    Frames: parent=[0,0][${app.width},${app.height}] display=[0,0][${app.width},${app.height}]`);
      lines.push(`  Window #1 Window{${token('nav')} u0 NavigationBar0}:`);
      lines.push(`    mDisplayId=0 rootTaskId=1 mSession=Session{${token('sysui')} 812:u0a10089}`);
      lines.push('');
      lines.push(`  mGlobalConfiguration={1.0 ?mcc?mnc [en_US] ldltr sw${Math.round(Math.min(app.width, app.height) / 1.5)}dp w${Math.round(app.width / 1.5)}dp h${Math.round(app.height / 1.5)}dp 240dpi nrml long port finger -keyb/v/h -nav/h winConfig={ mBounds=Rect(0, 0 - ${app.width}, ${app.height}) mAppBounds=Rect(0, 0 - ${app.width}, ${app.height}) mMaxBounds=Rect(0, 0 - ${app.width}, ${app.height}) mDisplayRotation=ROTATION_0 mWindowingMode=fullscreen mActivityType=undefined mAlwaysOnTop=undefined mRotation=ROTATION_0} s.6 fontWeightAdjustment=0}`);
      lines.push(`  mHasPermanentDpad=false`);
      lines.push(`  mTopFocusedDisplayId=0`);
      lines.push(`  imeLayeringTarget in display# 0 ${f.window}`);
      lines.push(`  imeInputTarget in display# 0 ${f.window}`);
      lines.push(`  imeControlTarget in display# 0 ${f.window}`);
      lines.push(`  Minimum task size of display#0 220  mBlurEnabled=true`);
      lines.push(`  mCurrentFocus=${f.window}`);
      lines.push(`  mFocusedApp=${f.record}`);
    } else if (sub === 'displays' || sub === 'd') {
      lines.push('WINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)');
      lines.push(`  Display: mDisplayId=0 rootTasks=2`);
      lines.push(`    init=${app.width}x${app.height} 240dpi base=${app.width}x${app.height} 240dpi cur=${app.width}x${app.height} app=${app.width}x${app.height} rng=${app.width}x${app.width}-${app.height}x${app.height}`);
      lines.push(`    mCurrentFocus=${f.window}`);
      lines.push(`    mFocusedApp=${f.record}`);
    } else {
      lines.push(`Bad window command, or no windows match: ${sub}`);
    }
    await ctx.out(`${lines.join('\n')}\n`);
    return 0;
  }
  if (service === 'activity') {
    const lines: string[] = [];
    if (sub === undefined || sub === 'activities' || sub === 'a' || sub === 'top') {
      lines.push('ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)');
      lines.push('Display #0 (activities from top to bottom):');
      lines.push(`  * Task{${token(`task:${f.pkg}`)} #${f.task} type=standard A=10123:${f.pkg} U=0 visible=true visibleRequested=true mode=fullscreen translucent=false sz=1}`);
      lines.push(`    topResumedActivity=${f.record}`);
      lines.push(`    * Hist  #0: ${f.record}`);
      lines.push('');
      lines.push(`  ResumedActivity: ${f.record}`);
      lines.push(`  mResumedActivity: ${f.record}`);
      lines.push(`  mFocusedApp=${f.record}`);
      lines.push(`  mTopResumedActivity=${f.record}`);
    }
    await ctx.out(`${lines.join('\n')}\n`);
    return 0;
  }
  if (service === 'input_method') {
    const ime = ctx.device.settings.get('secure/default_input_method') ?? LATIN_IME;
    await ctx.out(`Current Input Method Manager state:\n  mCurMethodId=${ime}\n  mCurFocusedWindowClient=${f.window}\n`);
    return 0;
  }
  if (service === 'display') {
    await ctx.out(`DISPLAY MANAGER (dumpsys display)\n  mViewports=[DisplayViewport{type=INTERNAL, valid=true, isActive=true, displayId=0, orientation=0, logicalFrame=Rect(0, 0 - ${app.width}, ${app.height}), physicalFrame=Rect(0, 0 - ${app.width}, ${app.height}), deviceWidth=${app.width}, deviceHeight=${app.height}}]\n`);
    return 0;
  }
  if (service === undefined) {
    await ctx.out('Currently running services:\n  activity\n  display\n  input_method\n  window\n');
    return 0;
  }
  await ctx.err(`Can't find service: ${service}\n`);
  return 0;
}

async function screencap(ctx: CommandContext): Promise<number> {
  let png = false;
  let file: string | undefined;
  for (let i = 0; i < ctx.args.length; i++) {
    const a = ctx.args[i];
    if (a === '-p') {
      png = true;
    } else if (a === '-d') {
      i++;
    } else if (a === '-h' || (a.startsWith('-') && a !== '-j' && a !== '-a')) {
      await ctx.err('usage: screencap [-hp] [-d display-id] [FILENAME]\n   -h: this message\n   -p: save the file as a png.\n   -d: specify the physical display ID to capture\nIf FILENAME ends with .png it will be saved as a png.\nIf FILENAME is not given, the results will be printed to stdout.\n');
      return a === '-h' ? 0 : 1;
    } else {
      file = a;
    }
  }
  if (file !== undefined && file.endsWith('.png')) {
    png = true;
  }
  const parts = await ctx.device.screencap(png ? 'png' : 'raw', ctx.signal);
  if (file !== undefined) {
    try {
      ctx.device.fs.write(file, Buffer.concat(parts));
    } catch (e) {
      await ctx.err(`Error opening file: ${file} (${e instanceof VfsError ? STRERROR[e.code] : String(e)})\n`);
      return 1;
    }
    return 0;
  }
  await ctx.out(parts);
  return 0;
}

async function monkey(ctx: CommandContext): Promise<number> {
  const pi = ctx.args.indexOf('-p');
  const pkg = pi >= 0 ? ctx.args[pi + 1] : undefined;
  const { app } = ctx.device;
  if (!pkg || pkg !== app.packageName) {
    await ctx.err('** No activities found to run, monkey aborted.\n');
    return 251;
  }
  app.start(`${pkg}/${app.activity}`);
  await ctx.out(`  bash arg: -p\n  bash arg: ${pkg}\nEvents injected: 1\n## Network stats: elapsed time=12ms (0ms mobile, 0ms wifi, 12ms not connected)\n`);
  return 0;
}

async function ime(ctx: CommandContext): Promise<number> {
  const [sub, arg] = ctx.args;
  const settings = ctx.device.settings;
  switch (sub) {
    case 'list':
      await ctx.out(ctx.args.includes('-s') ? `${ADB_KEYBOARD_IME}\n${LATIN_IME}\n` : `${ADB_KEYBOARD_IME}:\n  mId=${ADB_KEYBOARD_IME}\n${LATIN_IME}:\n  mId=${LATIN_IME}\n`);
      return 0;
    case 'enable':
    case 'disable':
      await ctx.out(`Input method ${arg ?? ''}: ${sub === 'enable' ? 'now enabled' : 'now disabled'}\n`);
      return 0;
    case 'set':
      if (arg !== ADB_KEYBOARD_IME && arg !== LATIN_IME) {
        await ctx.err(`Unknown input method ${arg ?? ''} cannot be selected for user #0\n`);
        return 255;
      }
      settings.set('secure/default_input_method', arg);
      await ctx.out(`Input method ${arg} selected for user #0\n`);
      return 0;
    case 'reset':
      settings.delete('secure/default_input_method');
      await ctx.out(`Reset current and enabled IMEs for user #0\n  Selected: ${LATIN_IME}\n`);
      return 0;
    default:
      await ctx.err(`Unknown command: ${sub ?? ''}\n`);
      return 255;
  }
}

async function settingsCmd(ctx: CommandContext): Promise<number> {
  const [sub, ns, key, ...value] = ctx.args;
  const store = ctx.device.settings;
  if ((sub === 'get' || sub === 'put' || sub === 'delete') && ns && key && ['system', 'secure', 'global'].includes(ns)) {
    const k = `${ns}/${key}`;
    if (sub === 'get') {
      await ctx.out(`${store.get(k) ?? (k === 'secure/default_input_method' ? LATIN_IME : 'null')}\n`);
    } else if (sub === 'put') {
      store.set(k, value.join(' '));
    } else {
      store.delete(k);
      await ctx.out('Deleted 1 rows\n');
    }
    return 0;
  }
  await ctx.err('Invalid command: settings\n');
  return 255;
}

async function vdev(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  const d = ctx.device;
  const usage = 'usage: vdev state | popup daily|notice|error | fault drop [ms]|stall <ms>|corrupt-frame [truncate|garble]|slow-frames <ms>|crash|clear|status | inputlog [clear]\n';
  switch (sub) {
    case 'state':
      await ctx.out(`${JSON.stringify({ ...d.app.state(), device: d.info() })}\n`);
      return 0;
    case 'popup': {
      const kind = rest[0];
      if (kind !== 'daily' && kind !== 'notice' && kind !== 'error') {
        await ctx.err(usage);
        return 1;
      }
      d.app.forcePopup(kind as PopupKind);
      return 0;
    }
    case 'inputlog':
      if (rest[0] === 'clear') {
        d.inputLog.clear();
        return 0;
      }
      await ctx.out(`${JSON.stringify(d.inputLog.entries())}\n`);
      return 0;
    case 'fault':
      return vdevFault(ctx, rest, usage);
    default:
      await ctx.err(usage);
      return 1;
  }
}

async function vdevFault(ctx: CommandContext, args: string[], usage: string): Promise<number> {
  const [what, arg] = args;
  const faults = ctx.device.faults;
  const needMs = async (): Promise<number | undefined> => {
    const ms = parseDurationMs(arg);
    if (ms === undefined || ms > 2_147_483_647) {
      await ctx.err(`vdev fault ${what}: expected a duration like 500ms or 2s (at most about 24 days), got '${arg ?? ''}'\n`);
      return undefined;
    }
    return ms;
  };
  switch (what) {
    case 'drop': {
      const refuseMs = arg === undefined ? 0 : await needMs();
      if (refuseMs === undefined) {
        return 1;
      }
      ctx.defer(() => faults.drop({ refuseMs }));
      return 0;
    }
    case 'stall': {
      const ms = await needMs();
      if (ms === undefined) {
        return 1;
      }
      ctx.defer(() => faults.stall(ms));
      return 0;
    }
    case 'corrupt-frame': {
      const mode = (arg ?? 'truncate') as FrameCorruption;
      if (mode !== 'truncate' && mode !== 'garble') {
        await ctx.err(usage);
        return 1;
      }
      faults.corruptNextFrame(mode);
      return 0;
    }
    case 'slow-frames': {
      const ms = await needMs();
      if (ms === undefined) {
        return 1;
      }
      faults.slowFrames(ms);
      return 0;
    }
    case 'crash':
      faults.crash();
      return 0;
    case 'clear':
      faults.clear();
      return 0;
    case 'status':
    case undefined:
      await ctx.out(`${JSON.stringify(faults.snapshot())}\n`);
      return 0;
    default:
      await ctx.err(usage);
      return 1;
  }
}

/** The command table of the virtual shell. */
export function deviceCommands(): Record<string, CommandHandler> {
  return {
    echo,
    true: () => 0,
    false: () => 1,
    ':': () => 0,
    sleep,
    cat,
    ls,
    rm,
    mkdir,
    chmod,
    touch,
    grep,
    md5sum,
    getprop,
    setprop,
    wm,
    input,
    am,
    pm,
    pidof,
    dumpsys,
    screencap,
    monkey,
    ime,
    settings: settingsCmd,
    vdev,
    id: (ctx) => ctx.out('uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),3003(inet) context=u:r:shell:s0\n').then(() => 0),
    whoami: (ctx) => ctx.out('shell\n').then(() => 0),
    uname: (ctx) => ctx.out(ctx.args.includes('-a') ? 'Linux localhost 6.1.0-virtual #1 SMP PREEMPT x86_64 Toybox\n' : 'Linux\n').then(() => 0),
    pwd: (ctx) => ctx.out('/\n').then(() => 0),
  };
}
