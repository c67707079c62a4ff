/**
 * The fleet model's lists, from the host's pieces: the device listing (FleetDevices), the pool manager (definitions,
 * counts and leases once its database is open), and the routine and template registries. The orchestrator diffs
 * them when they signal a change and publishes `devices.changed`, `pools.changed`, `routines.changed` and
 * `templates.changed`.
 */
import type { Event } from '../shared/lifecycle';
import type { Diagnostic } from '../shared/geometry';
import type { PoolInfo, PoolLeaseInfo, RoutineInfo, TemplateInfo } from '../shared/fleetTypes';
import type { FleetInfoSources } from '../orchestrator/orchestrator';
import type { PoolManager } from '../orchestrator/pools/poolManager';
import type { RoutineRegistry } from '../bot/routine/registry';
import type { TemplateRegistry } from '../bot/vision/templateRegistry';
import type { FleetDevices } from './fleetDevices';

/** Both events, as one. */
function either(a: Event<unknown>, b: Event<unknown>): Event<unknown> {
  return (listener) => {
    const x = a(listener);
    const y = b(listener);
    return { dispose: () => (x.dispose(), y.dispose()) };
  };
}

/** Every `pools/*.yaml` file as a PoolInfo: its pool (or the file's stem when it defines none) and its problems. */
export function poolInfos(pools: PoolManager): PoolInfo[] {
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of pools.diagnostics) {
    byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  }
  const open = pools.isOpen;
  const leases = new Map<string, PoolLeaseInfo[]>();
  if (open) {
    for (const l of pools.listLeases()) {
      const list = leases.get(l.pool) ?? [];
      list.push({ accountId: l.accountId, group: l.group, bot: l.bot, orchestrationId: l.orchestrationId, since: Date.parse(l.acquiredAt), expiresAt: Date.parse(l.expiresAt) });
      leases.set(l.pool, list);
    }
  }
  const out: PoolInfo[] = [];
  const files = new Set<string>();
  for (const name of [...pools.poolNames()].sort()) {
    const def = pools.definition(name);
    if (!def) {
      continue;
    }
    files.add(def.file);
    const diagnostics = byFile.get(def.file) ?? [];
    const base = { name, file: def.file, valid: !diagnostics.some((d) => d.severity === 'error'), diagnostics, leases: leases.get(name) ?? [] };
    if (open) {
      const s = pools.stats(name);
      out.push({ ...base, available: s.available, total: s.total, cooldown: s.completed });
    } else {
      out.push(base);
    }
  }
  for (const [file, diagnostics] of byFile) {
    if (!files.has(file) && /\.ya?ml$/i.test(file)) {
      const stem = file.replace(/^.*\//, '').replace(/\.ya?ml$/i, '');
      out.push({ name: stem, file, valid: false, diagnostics, leases: [] });
    }
  }
  return out;
}

export function fleetSources(pieces: { devices: FleetDevices; pools: PoolManager; routines: RoutineRegistry; templates: TemplateRegistry }): FleetInfoSources {
  const { devices, pools, routines, templates } = pieces;
  return {
    devices: { list: () => devices.list(), onDidChange: devices.onDidChangeDevices },
    pools: { list: () => poolInfos(pools), onDidChange: either(pools.onDidChangePools, pools.onDidChangePoolStats) },
    routines: {
      list: (): RoutineInfo[] => routines.entries().map((e) => ({ name: e.name, file: e.file, valid: e.valid, diagnostics: e.diagnostics })),
      onDidChange: routines.onDidChangeRoutines,
    },
    templates: {
      list: (): TemplateInfo[] => templates.names().map((name) => ({ name, file: templates.source(name)?.file ?? '' })),
      onDidChange: templates.onDidChangeTemplates,
    },
  };
}
