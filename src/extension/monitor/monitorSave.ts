/**
 * "Save frame" and "Save bug report" of the monitor. No vscode import.
 *
 * - Frames go to `.fleet/frames/` of the fleet folder: the current frame losslessly as PNG (the recorder keeps the
 *   bot's latest raw capture); a recorded frame as PNG while the recorder still holds its lossless copy (the newest
 *   `recorder.losslessFrames` of the bot), else as the JPEG it was recorded as (not re-encoded), and the answer
 *   says so. The file name tells which: `…-frame12.png` or `…-frame12-recorded.jpg`.
 * - Bug reports go to the reports folder (`recorder.reportsFolder`: absolute, or relative to the fleet folder;
 *   default `.fleet/reports`), or with `askFolder` to a folder the user picks; written through `writeBugReport`,
 *   so a report folder is complete or absent.
 */
import * as path from 'node:path';
import { retainFrame, type RawFrame } from '../../bot/device';
import type { FlightRecorder } from '../../orchestrator/recorder';
import { bugReportFiles, bugReportFolderName, safeName, writeBugReport, type BugReportVersions, type ReportWriter } from '../../orchestrator/bugReport';
import type { FileStore } from '../../shared/ports';
import type { BotRef } from '../../shared/monitorProtocol';
import type { MonitorFleetPort, MonitorSavePort, SavedFrame } from './monitorPorts';

export interface MonitorSaveOptions {
  /** The fleet folder (absolute), once known. */
  root: () => string | undefined;
  /** Reads the routine and group files (workspace-relative) of a fleet folder. */
  files: (root: string) => FileStore;
  recorder: FlightRecorder;
  fleet: () => MonitorFleetPort | undefined;
  writer: ReportWriter;
  encodePng: (frame: RawFrame) => Promise<Uint8Array>;
  versions: () => BugReportVersions;
  /** Wall time, epoch ms. */
  now?: () => number;
  /** The reports folder setting: absolute, or relative to the fleet folder (undefined: `.fleet/reports`). */
  reportsFolder?: () => string | undefined;
  /** Asks the user for a folder ("Save bug report as…"); rejects when the user cancels. */
  askFolder?: (suggested: string) => Promise<string>;
}

/** The reports folder: `setting` absolute or relative to `root`, else `<root>/.fleet/reports`. */
export function reportsFolderOf(root: string, setting: string | undefined): string {
  if (setting === undefined || setting.trim() === '') {
    return path.join(root, '.fleet', 'reports');
  }
  return path.resolve(root, setting.trim());
}

const MAX_SOURCE_BYTES = 2 * 1024 * 1024;

export class MonitorSave implements MonitorSavePort {
  constructor(private readonly o: MonitorSaveOptions) {}

  private root(): string {
    const root = this.o.root();
    if (root === undefined) {
      throw new Error('saving needs a fleet folder: open a folder with groups/ and routines/');
    }
    return root;
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  async saveFrame(bot: BotRef, frame?: number): Promise<SavedFrame> {
    const dir = path.join(this.root(), '.fleet', 'frames');
    const stamp = new Date(this.now()).toISOString().replace(/[:.]/g, '-');
    const base = `${stamp}-${safeName(bot.group)}-${safeName(bot.instance)}`;
    let file: string;
    let data: Uint8Array;
    let note: string | undefined;
    if (frame !== undefined) {
      const f = this.o.recorder.frame(bot.group, bot.instance, frame);
      if (!f) {
        throw new Error(`frame ${frame} of bot ${bot.instance} is no longer recorded`);
      }
      if (f.png) {
        file = path.join(dir, `${base}-frame${f.frame}.png`);
        data = f.png;
      } else {
        file = path.join(dir, `${base}-frame${f.frame}-recorded.jpg`);
        data = f.jpeg;
        const keep = this.o.recorder.keepsLossless ? this.o.recorder.capacity.losslessFrames : 0;
        note =
          keep > 0
            ? `only its recorded JPEG is left: lossless copies are kept for the ${keep} newest frames of a bot (emulatorFleet.recorder.losslessFrames), or fewer when the recorder's memory runs short`
            : 'only its recorded JPEG exists: lossless copies are off (emulatorFleet.recorder.losslessFrames is 0)';
      }
    } else {
      const latest = this.o.recorder.latestRaw(bot.group, bot.instance);
      if (!latest) {
        throw new Error(`bot ${bot.instance} of '${bot.group}' has no frame yet`);
      }
      const release = retainFrame(latest.frame);
      try {
        data = await this.o.encodePng(latest.frame);
      } finally {
        release();
      }
      file = path.join(dir, `${base}-frame${latest.meta.frame}.png`);
    }
    await this.o.writer.mkdirp(dir);
    await this.o.writer.writeFile(file, data);
    return { path: file, lossless: note === undefined, ...(note !== undefined ? { note } : {}) };
  }

  async saveBugReport(bot: BotRef, opts: { askFolder?: boolean } = {}): Promise<string> {
    const time = this.now();
    const root = this.root();
    const files = this.o.files(root);
    const configured = reportsFolderOf(root, this.o.reportsFolder?.());
    let parent = configured;
    if (opts.askFolder) {
      if (!this.o.askFolder) {
        throw new Error('this window cannot ask for a folder');
      }
      parent = await this.o.askFolder(configured);
    }
    const dir = path.join(parent, bugReportFolderName(time, bot.group, bot.instance));
    const snap = this.o.fleet()?.snapshot();
    const group = snap?.groups.find((g) => g.name === bot.group);
    const botSnap = group?.bots.find((b) => b.instance === bot.instance) ?? group?.retiredBots.find((b) => b.instance === bot.instance);
    const def = snap?.definitions.find((d) => d.name === bot.group);
    const routineName = botSnap?.routine ?? group?.routine ?? def?.routine;
    const routine = snap?.routines.find((r) => r.name === routineName);
    const read = async (file: string): Promise<{ path: string; text: string } | undefined> => {
      try {
        return { path: file, text: await files.readText(file, { maxBytes: MAX_SOURCE_BYTES }) };
      } catch {
        return undefined;
      }
    };
    const routineFile = routine ? await read(routine.file) : undefined;
    const groupFile = def ? await read(def.file) : undefined;
    const reportFiles = bugReportFiles({
      group: bot.group,
      instance: bot.instance,
      time,
      frames: this.o.recorder.frames(bot.group, bot.instance),
      ...(routineFile ? { routineFiles: [routineFile] } : {}),
      ...(groupFile ? { groupFile } : {}),
      versions: this.o.versions(),
      bot: botSnap ?? null,
      extra: { groupState: group?.state ?? null, device: snap?.devices.find((d) => d.serial === botSnap?.serial) ?? null },
    });
    await writeBugReport(this.o.writer, dir, reportFiles);
    return dir;
  }
}
