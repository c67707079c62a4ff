/**
 * The status bar item: the running groups and bots (`$(pulse) 2 groups · 6 bots`), a warning background while a
 * bot fails or is offline, and a click that opens the monitor. Shown once
 * the fleet is built; updated from the feed's coalesced changes. It also keeps the `groupsRunning` context key.
 */
import * as vscode from 'vscode';
import { COMMANDS, CONTEXT_KEYS } from './constants';
import type { FleetFeed } from './views/fleetFeed';
import { fleetSummary, statusText } from './views/presentation';

export class FleetStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private running: boolean | undefined;

  constructor(private readonly feed: FleetFeed) {
    this.item = vscode.window.createStatusBarItem('emulatorFleet.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Emulator Fleet';
    this.disposables.push(
      this.item,
      feed.onDidChange(() => this.update()),
    );
    this.item.command = COMMANDS.openMonitor;
    this.update();
  }

  /** The text shown now (tests read it). */
  get text(): string {
    return this.item.text;
  }

  get warning(): boolean {
    return this.item.backgroundColor !== undefined;
  }

  update(): void {
    const f = this.feed.fleet;
    if (!f) {
      this.item.hide();
      return;
    }
    const s = fleetSummary(this.feed.view()?.groups ?? []);
    if (this.running !== s.groups > 0) {
      this.running = s.groups > 0;
      void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.groupsRunning, this.running);
    }
    this.item.text = statusText(s);
    this.item.backgroundColor = s.troubled ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const tip = new vscode.MarkdownString(
      `**Emulator Fleet**  \n${s.groups} running group${s.groups === 1 ? '' : 's'}, ${s.bots} bot${s.bots === 1 ? '' : 's'}${s.troubled ? `  \n$(warning) ${s.troubled} failing or offline` : ''}  \nClick to open the monitor.`,
      true,
    );
    this.item.tooltip = tip;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
