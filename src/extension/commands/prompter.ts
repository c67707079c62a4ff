/**
 * The prompts commands ask through (quick picks, input boxes, confirmations, file pickers): a small port, so the
 * extension-host tests inject answers and the wizards run unattended. Every prompt throws CancelledByUser when
 * dismissed (the command then ends silently).
 */
import * as vscode from 'vscode';
import { CancelledByUser } from './commandRunner';

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
  picked?: boolean;
}

export interface StepInfo {
  /** The wizard's title, and where this prompt is in it. */
  title?: string;
  step?: number;
  totalSteps?: number;
}

export interface InputOptions extends StepInfo {
  prompt?: string;
  value?: string;
  placeholder?: string;
  /** A message while the text is not acceptable (checked as the user types). */
  validate?: (text: string) => string | undefined;
}

export interface Prompter {
  pick<T>(placeholder: string, items: readonly PickItem<T>[], opts?: StepInfo): Promise<T>;
  pickMany<T>(placeholder: string, items: readonly PickItem<T>[], opts?: StepInfo): Promise<T[]>;
  input(opts: InputOptions): Promise<string>;
  /** A modal confirmation: true when `action` was chosen. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  openFiles(opts: { title: string; filters: Record<string, string[]>; defaultUri?: vscode.Uri }): Promise<vscode.Uri[]>;
  /** One folder (created by the dialog if the user wants); `openLabel` names the button. */
  pickFolder(opts: { title: string; openLabel: string; defaultUri?: vscode.Uri }): Promise<vscode.Uri>;
}

function titled(o: StepInfo | undefined): string | undefined {
  return o?.title && o.step && o.totalSteps ? `${o.title} (${o.step}/${o.totalSteps})` : o?.title;
}

/** The real prompts. */
export class VsCodePrompter implements Prompter {
  async pick<T>(placeholder: string, items: readonly PickItem<T>[], opts?: StepInfo): Promise<T> {
    const got = await vscode.window.showQuickPick(
      items.map((i) => ({ ...i })),
      { placeHolder: placeholder, title: titled(opts), ignoreFocusOut: true, matchOnDescription: true },
    );
    if (!got) {
      throw new CancelledByUser();
    }
    return got.value;
  }

  async pickMany<T>(placeholder: string, items: readonly PickItem<T>[], opts?: StepInfo): Promise<T[]> {
    const got = await vscode.window.showQuickPick(
      items.map((i) => ({ ...i })),
      { placeHolder: placeholder, title: titled(opts), canPickMany: true, ignoreFocusOut: true },
    );
    if (!got || !got.length) {
      throw new CancelledByUser();
    }
    return got.map((g) => g.value);
  }

  async input(o: InputOptions): Promise<string> {
    const got = await vscode.window.showInputBox({
      title: titled(o),
      prompt: o.prompt,
      value: o.value,
      placeHolder: o.placeholder,
      ignoreFocusOut: true,
      validateInput: o.validate ? (t) => o.validate!(t) : undefined,
    });
    if (got === undefined) {
      throw new CancelledByUser();
    }
    return got;
  }

  async confirm(message: string, detail: string, action: string): Promise<boolean> {
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
  }

  async openFiles(opts: { title: string; filters: Record<string, string[]>; defaultUri?: vscode.Uri }): Promise<vscode.Uri[]> {
    const got = await vscode.window.showOpenDialog({ title: opts.title, filters: opts.filters, canSelectMany: true, defaultUri: opts.defaultUri, openLabel: 'Import' });
    if (!got || !got.length) {
      throw new CancelledByUser();
    }
    return got;
  }

  async pickFolder(opts: { title: string; openLabel: string; defaultUri?: vscode.Uri }): Promise<vscode.Uri> {
    const got = await vscode.window.showOpenDialog({ title: opts.title, canSelectFiles: false, canSelectFolders: true, canSelectMany: false, defaultUri: opts.defaultUri, openLabel: opts.openLabel });
    const folder = got?.[0];
    if (!folder) {
      throw new CancelledByUser();
    }
    return folder;
  }
}
