/**
 * Helpers of the extension-host tests of the fleet: the extension's API, waits on events (bounded, never sleeps),
 * and a Prompter that answers from a script.
 */
import * as vscode from 'vscode';
import type { EmulatorFleetApi } from '../../../src/extension/activate';
import type { InputOptions, PickItem, Prompter } from '../../../src/extension/commands/prompter';
import type { Fleet } from '../../../src/host/fleet';

export const EXTENSION_ID = 'emulator-fleet.emulator-fleet';

export async function fleetApi(): Promise<EmulatorFleetApi> {
  const ext = vscode.extensions.getExtension<EmulatorFleetApi>(EXTENSION_ID);
  if (!ext) {
    throw new Error(`${EXTENSION_ID} is not installed`);
  }
  return ext.activate();
}

/** Resolves when `check` holds, re-checked on every event of `events`; rejects after `timeoutMs` saying `what`. */
export function until(what: string, check: () => boolean, events: Array<(l: () => void) => { dispose(): void }>, timeoutMs = 60_000): Promise<void> {
  if (check()) {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const subs: Array<{ dispose(): void }> = [];
    const done = (err?: Error) => {
      clearTimeout(timer);
      subs.forEach((s) => s.dispose());
      if (err) {
        reject(err);
      } else {
        resolve();
      }
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for: ${what}`)), timeoutMs);
    for (const e of events) {
      subs.push(
        e(() => {
          try {
            if (check()) {
              done();
            }
          } catch (err) {
            done(err instanceof Error ? err : new Error(String(err)));
          }
        }),
      );
    }
  });
}

/** Waits on the fleet's own events (every group, bot, definition and device change). */
export function untilFleet(f: Fleet, what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  return until(what, check, [(l) => f.orchestrator.onDidEmitFleetEvent(l), (l) => f.devices.onDidChangeDevices(l)], timeoutMs);
}

/** The fleet of the window, (re)built with no ADB server (the tests use virtual devices only). */
export async function testFleet(api: EmulatorFleetApi): Promise<Fleet> {
  const cfg = vscode.workspace.getConfiguration('emulatorFleet');
  const servers = cfg.inspect<string[]>('adb.servers')?.workspaceValue;
  if (!Array.isArray(servers) || servers.length !== 0) {
    const rebuilt = new Promise<void>((resolve) => {
      const sub = api.session.onDidChangeFleet((f) => {
        if (f) {
          sub.dispose();
          resolve();
        }
      });
    });
    const had = api.session.current !== undefined;
    await cfg.update('adb.servers', [], vscode.ConfigurationTarget.Workspace);
    if (had) {
      await rebuilt;
    }
  }
  return api.session.fleet();
}

type Answer = { kind: 'pick' | 'pickMany' | 'input' | 'confirm' | 'openFiles' | 'pickFolder'; answer: (arg: unknown) => unknown };

/** A Prompter answering from a script, in order; a prompt out of order fails the command (and so the test). */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  /** The labels `pickFirst` accepted. */
  readonly picked: string[] = [];
  private readonly script: Answer[] = [];

  pickLabel(label: string): this {
    this.script.push({ kind: 'pick', answer: (items) => pickBy(items as PickItem<unknown>[], label).value });
    return this;
  }
  /** Accepts the first item (what Enter takes); its label goes to `picked`. */
  pickFirst(): this {
    this.script.push({
      kind: 'pick',
      answer: (items) => {
        const first = (items as PickItem<unknown>[])[0]!;
        this.picked.push(first.label);
        return first.value;
      },
    });
    return this;
  }
  pickAll(): this {
    this.script.push({ kind: 'pickMany', answer: (items) => (items as PickItem<unknown>[]).map((i) => i.value) });
    return this;
  }
  type(text: string): this {
    this.script.push({
      kind: 'input',
      answer: (o) => {
        const problem = (o as InputOptions).validate?.(text);
        if (problem) {
          throw new Error(`the input box refuses '${text}': ${problem}`);
        }
        return text;
      },
    });
    return this;
  }
  accept(yes: boolean): this {
    this.script.push({ kind: 'confirm', answer: () => yes });
    return this;
  }
  files(uris: vscode.Uri[]): this {
    this.script.push({ kind: 'openFiles', answer: () => uris });
    return this;
  }
  folder(uri: vscode.Uri): this {
    this.script.push({ kind: 'pickFolder', answer: () => uri });
    return this;
  }
  get remaining(): number {
    return this.script.length;
  }

  private next(kind: Answer['kind'], what: string, arg: unknown): unknown {
    this.asked.push(`${kind}: ${what}`);
    const a = this.script.shift();
    if (!a || a.kind !== kind) {
      throw new Error(`unexpected prompt ${kind} '${what}' (scripted: ${a?.kind ?? 'nothing'})`);
    }
    return a.answer(arg);
  }

  pick<T>(placeholder: string, items: readonly PickItem<T>[]): Promise<T> {
    return Promise.resolve().then(() => this.next('pick', placeholder, items) as T);
  }
  pickMany<T>(placeholder: string, items: readonly PickItem<T>[]): Promise<T[]> {
    return Promise.resolve().then(() => this.next('pickMany', placeholder, items) as T[]);
  }
  input(opts: InputOptions): Promise<string> {
    return Promise.resolve().then(() => this.next('input', opts.prompt ?? '', opts) as string);
  }
  confirm(message: string): Promise<boolean> {
    return Promise.resolve().then(() => this.next('confirm', message, undefined) as boolean);
  }
  openFiles(opts: { title: string }): Promise<vscode.Uri[]> {
    return Promise.resolve().then(() => this.next('openFiles', opts.title, undefined) as vscode.Uri[]);
  }
  pickFolder(opts: { title: string }): Promise<vscode.Uri> {
    return Promise.resolve().then(() => this.next('pickFolder', opts.title, undefined) as vscode.Uri);
  }
}
function pickBy<T>(items: PickItem<T>[], label: string): PickItem<T> {
  const i = items.find((x) => x.label === label);
  if (!i) {
    throw new Error(`no item '${label}' among ${items.map((x) => x.label).join(', ')}`);
  }
  return i;
}
