/**
 * The window's monitor service: the flight recorder (fed from the fleet whether the panel is open or not; its
 * limits follow the settings live), the fleet as the monitor sees it (one MonitorFleetPort per orchestrator
 * lifetime, so one session id), and saving. The template capture view and the debugger read recorded frames
 * through `recorder` (`frames`, `frame`, `frameAt`, `latestRaw`).
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { RawFrame } from '../../bot/device';
import { encodeJpeg } from '../../bot/vision/frameEncoder';
import { encodePng } from '../../bot/vision/imageCodec';
import { FlightRecorder } from '../../orchestrator/recorder';
import type { Fleet } from '../../host/fleet';
import { NodeFileStore } from '../../host/nodePorts';
import { nodeReportWriter } from '../../host/reportWriter';
import type { Logger } from '../../shared/ports';
import type { FleetSession } from '../fleetSession';
import type { Prompter } from '../commands/prompter';
import type { MonitorFleetPort } from './monitorPorts';
import { MonitorSave } from './monitorSave';
import { feedRecorder } from './recorderFeed';
import { recorderLimits } from './monitorLimits';

/** JPEG quality of recorded frames (full size: the timeline shows them zoomed). */
const RECORD_QUALITY = 70;
/** zlib level of the recorder's lossless copies: fast (a few ms a frame in the threadpool), still lossless. */
const LOSSLESS_PNG_LEVEL = 1;

export interface MonitorServiceOptions {
  session: FleetSession;
  logger: Logger;
  extensionVersion: string;
  /** The monitor's view of a fleet (the adapter over its orchestrator). */
  portFor: (fleet: Fleet) => MonitorFleetPort;
  /** The commands' prompts ("Save bug report as…" asks for a folder; tests inject answers). */
  prompter?: () => Prompter;
}

export class MonitorService implements vscode.Disposable {
  readonly recorder: FlightRecorder;
  /** "Save frame" and "Save bug report" (under the fleet folder's .fleet/). */
  readonly save: MonitorSave;
  private readonly _onDidChangePort = new vscode.EventEmitter<MonitorFleetPort | undefined>();
  readonly onDidChangePort = this._onDidChangePort.event;
  private readonly disposables: vscode.Disposable[] = [];
  private fleet: Fleet | undefined;
  private portNow: MonitorFleetPort | undefined;
  private feed: { dispose(): void } | undefined;
  private readonly log: Logger;

  constructor(private readonly o: MonitorServiceOptions) {
    this.log = o.logger.child('recorder');
    this.recorder = new FlightRecorder({
      ...recorderLimits(o.session.settings),
      encodeJpeg: (frame: RawFrame) => encodeJpeg(frame, { quality: RECORD_QUALITY }),
      encodePng: (frame: RawFrame) => encodePng(frame, LOSSLESS_PNG_LEVEL),
      onError: (e, bot) => this.log.log('debug', `a frame of ${bot.group}/${bot.instance} was not recorded: ${e instanceof Error ? e.message : String(e)}`),
    });
    // Lossless copies only for the bot the monitor zooms (monitorSession.ts sets it).
    this.recorder.setLosslessBots([]);
    this.save = new MonitorSave({
      root: () => this.o.session.root,
      files: (root) => new NodeFileStore(root),
      recorder: this.recorder,
      fleet: () => this.portNow,
      writer: nodeReportWriter,
      encodePng: (frame) => encodePng(frame),
      reportsFolder: () => this.o.session.settings.recorderReportsFolder,
      askFolder: async (suggested) => {
        const p = this.o.prompter?.();
        if (!p) {
          throw new Error('this window cannot ask for a folder');
        }
        const uri = await p.pickFolder({ title: 'Save the bug report into', openLabel: 'Save Bug Report Here', defaultUri: vscode.Uri.file(suggested) });
        if (uri.scheme !== 'file') {
          throw new Error(`bug reports are written to local folders; '${uri.toString()}' is not one`);
        }
        return uri.fsPath;
      },
      versions: () => ({ extension: this.o.extensionVersion, vscode: vscode.version, node: process.version, os: `${os.type()} ${os.release()} ${os.arch()}` }),
    });
    this.disposables.push(
      this._onDidChangePort,
      o.session.onDidChangeSettings((s) => this.recorder.setLimits(recorderLimits(s))),
      o.session.onDidChangeFleet((f) => this.setFleet(f)),
    );
    this.setFleet(o.session.current);
  }

  /** The fleet as the monitor sees it, when one is built. */
  port(): MonitorFleetPort | undefined {
    return this.portNow;
  }

  /** Builds the fleet if it is not yet. */
  async ensureFleet(): Promise<void> {
    await this.o.session.fleet();
  }

  dispose(): void {
    this.feed?.dispose();
    this.recorder.dispose();
    for (const d of this.disposables) {
      d.dispose();
    }
  }

  private setFleet(fleet: Fleet | undefined): void {
    if (fleet === this.fleet) {
      return;
    }
    this.feed?.dispose();
    this.feed = undefined;
    this.recorder.clear();
    this.fleet = fleet;
    this.portNow = fleet ? this.o.portFor(fleet) : undefined;
    if (this.portNow) {
      this.feed = feedRecorder(this.portNow, this.recorder);
    }
    this._onDidChangePort.fire(this.portNow);
  }
}
