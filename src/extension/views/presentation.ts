/**
 * How the sidebar shows the fleet: labels, descriptions, icons, colours, contextValues and tooltips of the Groups,
 * Devices and Pools items, computed from the fleet model's plain data. No vscode import: the tree providers turn
 * these into TreeItems, and the rules are unit-tested in plain Node.
 */
import type { BotSnapshot, BotState, DeviceInfo, GroupDefinitionSummary, GroupSnapshot, GroupState, LatencySummary, PoolInfo, PoolLeaseInfo } from '../../shared/fleetTypes';

/** One pool and one lease as the fleet model has them. */
export type PoolView = PoolInfo;
export type PoolLeaseView = PoolLeaseInfo;

/** What the three views show: the fleet snapshot's parts (definitions, groups active and ended, devices, pools). */
export interface FleetView {
  definitions: readonly GroupDefinitionSummary[];
  groups: readonly GroupSnapshot[];
  devices: readonly DeviceInfo[];
  pools: readonly PoolView[];
  /** The configured ADB servers (`host:port`), each shown with its devices even when it has none. */
  servers: readonly string[];
}

/** A codicon id and the theme colour it wears (undefined: the default foreground). */
export interface IconSpec {
  id: string;
  color?: string;
}

export interface ItemSpec {
  label: string;
  description?: string;
  icon: IconSpec;
  contextValue: string;
  /** Markdown. */
  tooltip?: string;
}

/** The state a definition's row shows: its group's when it has one (running or ended), `invalid` with errors. */
export type GroupRowState = GroupState | 'invalid';

const GROUP_ICONS: Record<GroupRowState, IconSpec> = {
  running: { id: 'pass-filled', color: 'testing.iconPassed' },
  starting: { id: 'loading~spin', color: 'testing.iconPassed' },
  paused: { id: 'debug-pause', color: 'charts.yellow' },
  waiting: { id: 'watch', color: 'charts.blue' },
  stopping: { id: 'loading~spin' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  stopped: { id: 'circle-large-outline' },
  idle: { id: 'circle-large-outline' },
  invalid: { id: 'warning', color: 'list.warningForeground' },
};

const BOT_ICONS: Record<BotState, IconSpec> = {
  running: { id: 'pass-filled', color: 'testing.iconPassed' },
  starting: { id: 'loading~spin', color: 'testing.iconPassed' },
  paused: { id: 'debug-pause', color: 'charts.yellow' },
  waiting: { id: 'watch', color: 'charts.blue' },
  offline: { id: 'debug-disconnect', color: 'list.warningForeground' },
  stopping: { id: 'loading~spin' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  stopped: { id: 'circle-large-outline' },
  idle: { id: 'circle-large-outline' },
};

export function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Escapes text for a Markdown tooltip. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

export function groupRowState(def: GroupDefinitionSummary | undefined, group: GroupSnapshot | undefined): GroupRowState {
  if (group) {
    return group.state;
  }
  return def && !def.valid ? 'invalid' : 'idle';
}

/** `pool 45/100` when the pool's counts are known. */
function poolText(name: string | undefined, pools: readonly PoolView[]): string | undefined {
  if (!name) {
    return undefined;
  }
  const p = pools.find((x) => x.name === name);
  return p && p.available !== undefined && p.total !== undefined ? `pool ${p.available}/${p.total}` : `pool ${name}`;
}

function time(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toLocaleTimeString();
}

/** A Groups row: a saved definition (valid or not), with its group's state when one runs or ended. */
export function groupItem(def: GroupDefinitionSummary | undefined, group: GroupSnapshot | undefined, pools: readonly PoolView[]): ItemSpec {
  const state = groupRowState(def, group);
  const name = def?.name ?? group!.name;
  const pool = group?.accountPool ?? def?.accountPool;
  const instances = group?.availableInstances.length ?? def?.availableInstances?.length ?? 0;
  const parts: string[] = [];
  const errors = def?.diagnostics.filter((d) => d.severity === 'error') ?? [];
  if (state === 'invalid') {
    parts.push(`${plural(errors.length, 'problem')}`);
  } else {
    parts.push(capitalize(state));
    const pt = poolText(pool, pools);
    if (pt) {
      parts.push(pt);
    }
    if (group && state !== 'stopped' && state !== 'failed') {
      const active = group.bots.filter((b) => b.state !== 'stopped' && b.state !== 'failed').length;
      parts.push(`${active}/${instances} instances`);
    } else {
      const bots = group?.requestedBotCount ?? def?.requestedBotCount;
      parts.push(`${bots !== undefined ? `${plural(bots, 'bot')} · ` : ''}${plural(instances, 'instance')}`);
    }
    if (group?.differsFromDefinition && (state === 'running' || state === 'paused' || state === 'waiting')) {
      parts.push('edited');
    }
  }
  const tip: string[] = [`**${md(name)}** — ${capitalize(state === 'invalid' ? 'has problems' : state)}`];
  const description = group?.description ?? def?.description;
  if (description) {
    tip.push(md(description));
  }
  const routine = group?.routine ?? def?.routine;
  const rows: [string, string | undefined][] = [
    ['Routine', routine ? `\`${routine}\`` : undefined],
    ['Pool', pool ? `\`${pool}\`${poolText(pool, pools)?.startsWith('pool ') && poolText(pool, pools) !== `pool ${pool}` ? ` (${poolText(pool, pools)!.slice(5)} available)` : ''}` : undefined],
    ['Instances', (group?.availableInstances ?? def?.availableInstances)?.map((i) => `\`${i}\``).join(', ')],
    ['Bots', group ? `${group.bots.length} of ${group.requestedBotCount} requested` : def?.requestedBotCount !== undefined ? String(def.requestedBotCount) : undefined],
    ['File', def ? `\`${def.file}\`` : undefined],
    ['Orchestration id', group ? `\`${group.orchestrationId}\`` : undefined],
    ['Started at', time(group?.startedAt)],
    ['Stopped at', time(group?.stoppedAt)],
    ['Stop reason', group?.stopReason],
    ['Last error', group?.lastError ? md(group.lastError.message) : undefined],
  ];
  tip.push(rows.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`).join('  \n'));
  if (errors.length) {
    tip.push(errors.slice(0, 5).map((d) => `$(warning) ${md(`${d.file}:${d.line}:${d.col}`)} ${md(d.message)}`).join('  \n'));
  }
  if (group?.skippedInstances.length) {
    tip.push(`Skipped: ${group.skippedInstances.map((s) => `\`${s.instance}\` (${s.reason}${s.owner ? ` by ${md(s.owner)}` : ''})`).join(', ')}`);
  }
  return { label: name, description: parts.join(' · '), icon: GROUP_ICONS[state], contextValue: `botGroup.${state}`, tooltip: tip.join('\n\n') };
}

/** A bot row under its running group. */
export function botItem(b: BotSnapshot): ItemSpec {
  const parts = [capitalize(b.state)];
  if (b.step && (b.state === 'running' || b.state === 'paused')) {
    parts.push(b.step.name);
  }
  if (b.account) {
    parts.push(b.account);
  }
  parts.push(plural(b.cycles, 'cycle'));
  if (b.errors) {
    parts.push(plural(b.errors, 'error'));
  }
  const rows: [string, string | undefined][] = [
    ['Device', b.serial ? `\`${b.serial}\`` : undefined],
    ['Routine', `\`${b.routine}\``],
    ['Step', b.step ? `${md(b.step.name)} (\`${b.step.routine}\` ${md(b.step.path)}${b.step.range ? `, line ${b.step.range.start.line}` : ''})` : undefined],
    ['Account', b.account ? `\`${b.account}\`` : undefined],
    ['Cycles', `${b.cycles} done, ${b.errors} failed, ${b.restarts} restarts`],
    ['Capture', latency(b.capture)],
    ['Input', latency(b.input)],
    ['Stop reason', b.stopReason],
    ['Last error', b.lastError ? md(b.lastError.message) : undefined],
  ];
  const tooltip = [`**bot ${md(b.instance)}** — ${capitalize(b.state)}`, rows.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`).join('  \n')].join('\n\n');
  return { label: `bot ${b.instance}`, description: parts.join(' · '), icon: BOT_ICONS[b.state], contextValue: `bot.${b.state}${b.step?.range ? '.step' : ''}`, tooltip };
}

export function latency(l: LatencySummary | undefined): string | undefined {
  if (!l || !l.count) {
    return undefined;
  }
  return `p50 ${Math.round(l.p50 ?? 0)} ms, p95 ${Math.round(l.p95 ?? 0)} ms`;
}

export function deviceItem(d: DeviceInfo): ItemSpec {
  const parts: string[] = [d.state];
  if (d.heldBy) {
    parts.push(`${d.heldBy.group} (bot ${d.heldBy.instance})`);
  }
  if (d.captureMethod) {
    parts.push(d.captureMethod);
  }
  if (d.capture?.count && d.capture.p50 !== undefined) {
    parts.push(`${Math.round(d.capture.p50)} ms`);
  }
  const icon: IconSpec =
    d.state === 'online' ? (d.heldBy ? { id: 'device-mobile', color: 'testing.iconPassed' } : { id: 'device-mobile' }) : d.state === 'offline' ? { id: 'debug-disconnect', color: 'list.warningForeground' } : { id: 'question', color: 'list.warningForeground' };
  const rows: [string, string | undefined][] = [
    ['Serial', `\`${d.serial}\``],
    ['Model', d.model ? md(d.model) : undefined],
    ['Source', d.source === 'virtual' ? 'virtual device' : `ADB server \`${d.server ?? '?'}\``],
    ['Instance', d.instance !== undefined ? `\`${d.instance}\`` : undefined],
    ['Held by', d.heldBy ? `${md(d.heldBy.group)}, bot \`${d.heldBy.instance}\`` : 'no group'],
    ['Capture', d.captureMethod ? `${d.captureMethod}${latency(d.capture) ? `, ${latency(d.capture)}` : ''}` : latency(d.capture)],
    ['Input', latency(d.input)],
  ];
  return {
    label: d.serial,
    description: parts.join(' · '),
    icon,
    contextValue: `device.${d.state}${d.source === 'virtual' ? '.virtual' : ''}`,
    tooltip: rows.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`).join('  \n'),
  };
}

export function poolItem(p: PoolView): ItemSpec {
  const parts: string[] = [];
  if (!p.valid) {
    parts.push(plural(p.diagnostics.filter((d) => d.severity === 'error').length, 'problem'));
  } else if (p.available !== undefined && p.total !== undefined) {
    parts.push(`${p.available}/${p.total} available`);
    if (p.leases.length) {
      parts.push(`${p.leases.length} leased`);
    }
    if (p.cooldown) {
      parts.push(`${p.cooldown} cooling down`);
    }
  } else {
    parts.push('not opened yet');
  }
  const tip = [`**${md(p.name)}**`, `File: \`${p.file}\``];
  for (const d of p.diagnostics.slice(0, 5)) {
    tip.push(`$(warning) ${md(`${d.line}:${d.col}`)} ${md(d.message)}`);
  }
  return {
    label: p.name,
    description: parts.join(' · '),
    icon: p.valid ? { id: 'account' } : { id: 'warning', color: 'list.warningForeground' },
    contextValue: `pool.${p.valid ? 'valid' : 'invalid'}`,
    tooltip: tip.join('  \n'),
  };
}

export function leaseItem(l: PoolLeaseView, now: number): ItemSpec {
  const left = Math.max(0, Math.round((l.expiresAt - now) / 1000));
  return {
    label: l.accountId,
    description: `${l.group} · bot ${l.bot}`,
    icon: { id: 'lock' },
    contextValue: 'lease',
    tooltip: `Account \`${l.accountId}\` leased by ${md(l.group)} bot \`${l.bot}\` since ${time(l.since)}  \nRun \`${l.orchestrationId}\`  \nExpires in ${left} s unless renewed`,
  };
}

/** The running groups and bots the status bar counts, and whether something needs a look. */
export function fleetSummary(groups: readonly GroupSnapshot[]): { groups: number; bots: number; troubled: number } {
  let g = 0;
  let bots = 0;
  let troubled = 0;
  for (const x of groups) {
    const running = x.state === 'starting' || x.state === 'running' || x.state === 'paused' || x.state === 'waiting' || x.state === 'stopping';
    if (running) {
      g++;
      for (const b of x.bots) {
        if (b.state !== 'stopped' && b.state !== 'failed' && b.state !== 'idle') {
          bots++;
        }
        if (b.state === 'failed' || b.state === 'offline') {
          troubled++;
        }
      }
    } else if (x.state === 'failed') {
      troubled++;
    }
  }
  return { groups: g, bots, troubled };
}

/** The status bar text: `$(pulse) 2 groups · 6 bots`. */
export function statusText(s: { groups: number; bots: number; troubled: number }): string {
  if (!s.groups) {
    return s.troubled ? `$(warning) Fleet: ${plural(s.troubled, 'failed group')}` : '$(pulse) Fleet idle';
  }
  return `$(pulse) ${plural(s.groups, 'group')} · ${plural(s.bots, 'bot')}`;
}
