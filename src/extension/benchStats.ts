/**
 * Figures for `npm run bench -- extension`, written only when the extension host runs with
 * EMULATOR_FLEET_BENCH_FILE set (the bench's server passes it): one JSON line a second with the tree refreshes and
 * feed flushes of that second, the event-loop delay of the extension host (p50/p99/max over that second, and p99
 * over every second since the running bot count last changed: the bench's window) and the running bots. The
 * delays exclude the sampling period (as `npm run bench -- fleet` counts them). Nothing is sampled otherwise.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as vscode from 'vscode';
import type { FleetFeed } from './views/fleetFeed';
import { fleetSummary } from './views/presentation';
import type { FleetTrees } from './views/trees';

export const BENCH_FILE_ENV = 'EMULATOR_FLEET_BENCH_FILE';
/** With this set too (a file name), the extension host's CPU profile of 10 s of the busy window is written there. */
export const BENCH_PROFILE_ENV = 'EMULATOR_FLEET_BENCH_PROFILE';
const PROFILE_SECONDS = 10;

/** Sampling period of the event-loop delay histograms (ms); their values include it, so it is subtracted. */
const RESOLUTION_MS = 10;

function lagMs(ns: number): number {
  return Math.max(0, ns / 1e6 - RESOLUTION_MS);
}

export function startBenchStats(file: string, feed: FleetFeed, trees: FleetTrees): vscode.Disposable {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const since = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  since.enable();
  let lastBots = -1;
  let last = { groups: 0, devices: 0, pools: 0, flushes: 0 };
  const profileFile = process.env[BENCH_PROFILE_ENV];
  let steady = 0;
  let profile: { session: Session; seconds: number } | 'done' | undefined;
  const timer = setInterval(() => {
    const now = { groups: trees.groups.refreshes, devices: trees.devices.refreshes, pools: trees.pools.refreshes, flushes: feed.flushes };
    const s = fleetSummary(feed.view()?.groups ?? []);
    if (s.bots !== lastBots) {
      since.reset();
      lastBots = s.bots;
      steady = 0;
    } else if (s.bots > 0) {
      steady++;
    }
    if (profileFile && profile === undefined && steady >= 3) {
      const session = new Session();
      session.connect();
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      profile = { session, seconds: 0 };
    } else if (profileFile && profile && profile !== 'done' && ++profile.seconds >= PROFILE_SECONDS) {
      const { session } = profile;
      profile = 'done';
      session.post('Profiler.stop', (err, r) => {
        try {
          if (!err) {
            writeFileSync(profileFile, JSON.stringify(r.profile));
          }
        } catch {
          // The bench's file could not be written: no profile, nothing else changes.
        }
        session.disconnect();
      });
    }
    const line = {
      time: Date.now(),
      groupsRefreshes: now.groups - last.groups,
      devicesRefreshes: now.devices - last.devices,
      poolsRefreshes: now.pools - last.pools,
      flushes: now.flushes - last.flushes,
      groupsVisible: trees.groups.visible,
      lagP50Ms: lagMs(h.percentile(50)),
      lagP99Ms: lagMs(h.percentile(99)),
      lagMaxMs: lagMs(h.max),
      lagP99SinceBotsChangedMs: lagMs(since.percentile(99)),
      runningGroups: s.groups,
      bots: s.bots,
    };
    last = now;
    h.reset();
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // The bench went away: nothing to report to.
    }
  }, 1000);
  timer.unref();
  return { dispose: () => (clearInterval(timer), h.disable(), since.disable()) };
}
