/**
 * Figures for `npm run bench -- extension`, written only when the extension host runs with
 * EMULATOR_FLEET_BENCH_FILE set (the bench's server passes it): one JSON line a second with the tree refreshes and
 * feed flushes of that second, the event-loop delay of the extension host (p50/p99/max over that second, and p99
 * over every second since the running bot count last changed: the bench's window) and the running bots. The
 * delays exclude the sampling period (as `npm run bench -- fleet` counts them). Nothing is sampled otherwise.
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as vscode from 'vscode';
import type { FleetFeed } from './views/fleetFeed';
import { fleetSummary } from './views/presentation';
import type { FleetTrees } from './views/trees';

export const BENCH_FILE_ENV = 'EMULATOR_FLEET_BENCH_FILE';

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
  const timer = setInterval(() => {
    const now = { groups: trees.groups.refreshes, devices: trees.devices.refreshes, pools: trees.pools.refreshes, flushes: feed.flushes };
    const s = fleetSummary(feed.view()?.groups ?? []);
    if (s.bots !== lastBots) {
      since.reset();
      lastBots = s.bots;
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
