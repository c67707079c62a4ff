/**
 * The three views of the Emulator Fleet container (Groups, Devices, Pools) over the FleetFeed. Elements are small
 * keys cached by id (so a refresh can name them); `getTreeItem` reads the current FleetView. A change refreshes only
 * the rows it names, and only while the view is visible: a hidden view is refreshed whole when it shows again.
 */
import * as vscode from 'vscode';
import { COMMANDS, CONTEXT_KEYS, VIEW_OPTIONS, VIEWS } from '../constants';
import { directRegistrar, type Registrar } from '../registrar';
import type { FleetFeed, FleetChange } from './fleetFeed';
import { botItem, deviceItem, groupItem, leaseItem, poolItem, type FleetView, type ItemSpec } from './presentation';

export type GroupNode = { kind: 'group'; id: string; name: string } | { kind: 'bot'; id: string; group: string; instance: string };
export type DeviceNode = { kind: 'server'; id: string; server: string } | { kind: 'virtual'; id: string } | { kind: 'device'; id: string; serial: string };
export type PoolNode = { kind: 'pool'; id: string; name: string } | { kind: 'lease'; id: string; pool: string; accountId: string };

function toItem(spec: ItemSpec, id: string, collapsible: vscode.TreeItemCollapsibleState): vscode.TreeItem {
  const item = new vscode.TreeItem(spec.label, collapsible);
  item.id = id;
  item.description = spec.description;
  item.contextValue = spec.contextValue;
  item.iconPath = new vscode.ThemeIcon(spec.icon.id, spec.icon.color ? new vscode.ThemeColor(spec.icon.color) : undefined);
  if (spec.tooltip) {
    const t = new vscode.MarkdownString(spec.tooltip, true);
    t.isTrusted = false;
    item.tooltip = t;
  }
  item.accessibilityInformation = { label: `${spec.label}, ${spec.description ?? ''}` };
  return item;
}

/** Node objects kept by id: the same object for the same row, so `onDidChangeTreeData` can name it. */
class NodeCache<N extends { id: string }> {
  private readonly nodes = new Map<string, N>();
  get(n: N): N {
    const had = this.nodes.get(n.id);
    if (had) {
      return had;
    }
    this.nodes.set(n.id, n);
    return n;
  }
  peek(id: string): N | undefined {
    return this.nodes.get(id);
  }
}

abstract class FleetTree<N extends { id: string }> implements vscode.TreeDataProvider<N>, vscode.Disposable {
  protected readonly _onDidChangeTreeData = new vscode.EventEmitter<N | N[] | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  protected readonly nodes = new NodeCache<N>();
  protected readonly disposables: vscode.Disposable[] = [this._onDidChangeTreeData];
  private view: vscode.TreeView<N> | undefined;
  private stale = false;
  /** Tree refreshes fired (the bench and tests read it). */
  refreshes = 0;

  constructor(protected readonly feed: FleetFeed) {
    this.disposables.push(feed.onDidChange((c) => this.onFleetChange(c)));
  }

  /** Attaches the TreeView (visibility gates the refreshes). */
  bind(view: vscode.TreeView<N>): void {
    this.view = view;
    this.disposables.push(
      view.onDidChangeVisibility((e) => {
        if (e.visible && this.stale) {
          this.stale = false;
          this.fire(undefined);
        }
      }),
    );
    this.updateMessage();
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  abstract getTreeItem(n: N): vscode.TreeItem;
  abstract getChildren(n?: N): N[] | Promise<N[]>;

  /** The nodes a change touches; undefined: the whole tree. */
  protected abstract changed(c: FleetChange): N[] | undefined | 'none';

  protected current(): FleetView | undefined {
    const v = this.feed.view();
    if (!v) {
      this.feed.ensure();
    }
    return v;
  }

  protected updateMessage(): void {
    if (this.view) {
      // A message hides the view's welcome content (and its buttons): an empty view says it there instead.
      const roots = this.feed.fleet ? this.getChildren() : [];
      const empty = Array.isArray(roots) && roots.length === 0;
      this.view.message = vscode.workspace.isTrusted || !this.feed.fleet || empty ? undefined : 'Restricted Mode: nothing starts until you trust this folder.';
    }
  }

  private onFleetChange(c: FleetChange): void {
    const nodes = c.all ? undefined : this.changed(c);
    if (nodes === 'none') {
      return;
    }
    if (!this.visible) {
      this.stale = true;
      return;
    }
    this.updateMessage();
    this.fire(nodes && nodes.length ? nodes : undefined);
  }

  private fire(nodes: N[] | undefined): void {
    this.refreshes++;
    this._onDidChangeTreeData.fire(nodes);
  }

  /** Refreshes the whole tree now (the Refresh button). */
  refreshAll(): void {
    this.stale = false;
    this.fire(undefined);
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

export class GroupsTree extends FleetTree<GroupNode> {
  private hasGroups: boolean | undefined;

  groupNode(name: string): GroupNode {
    return this.nodes.get({ kind: 'group', id: `group:${name}`, name });
  }

  botNode(group: string, instance: string): GroupNode {
    return this.nodes.get({ kind: 'bot', id: `bot:${group}/${instance}`, group, instance });
  }

  getChildren(n?: GroupNode): GroupNode[] {
    const v = this.current();
    if (!v) {
      return [];
    }
    if (!n) {
      const names = new Set<string>(v.definitions.map((d) => d.name));
      for (const g of v.groups) {
        names.add(g.name);
      }
      const has = names.size > 0;
      if (has !== this.hasGroups) {
        this.hasGroups = has;
        void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.hasGroups, has);
      }
      return [...names].sort().map((x) => this.groupNode(x));
    }
    if (n.kind === 'group') {
      const g = v.groups.find((x) => x.name === n.name);
      return g ? g.bots.map((b) => this.botNode(g.name, b.instance)) : [];
    }
    return [];
  }

  getParent(n: GroupNode): GroupNode | undefined {
    return n.kind === 'bot' ? this.groupNode(n.group) : undefined;
  }

  getTreeItem(n: GroupNode): vscode.TreeItem {
    const v = this.current();
    if (n.kind === 'group') {
      const def = v?.definitions.find((d) => d.name === n.name);
      const g = v?.groups.find((x) => x.name === n.name);
      const spec = groupItem(def, g, v?.pools ?? []);
      // Expanded from its first render (an idle group has no children, so no twistie shows): when it starts, VS Code
      // keeps the row's expansion state and its bots appear under it.
      const collapsible = def && !def.valid && !g ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Expanded;
      const item = toItem(spec, n.id, collapsible);
      if (def && !def.valid) {
        item.command = { command: COMMANDS.openProblem, title: 'Show Problem', arguments: [n] };
      }
      return item;
    }
    const b = v?.groups.find((x) => x.name === n.group)?.bots.find((x) => x.instance === n.instance);
    if (!b) {
      return new vscode.TreeItem(`bot ${n.instance}`);
    }
    const item = toItem(botItem(b), n.id, vscode.TreeItemCollapsibleState.None);
    if (b.step?.range) {
      item.command = { command: COMMANDS.goToStep, title: 'Go to Step', arguments: [n] };
    }
    return item;
  }

  protected changed(c: FleetChange): GroupNode[] | undefined | 'none' {
    if (!c.groups.size) {
      return 'none';
    }
    const v = this.feed.view();
    const out: GroupNode[] = [];
    for (const name of c.groups) {
      const node = this.nodes.peek(`group:${name}`);
      // A group the tree has not shown yet (a new definition): refresh the whole tree.
      if (!node || !v?.definitions.some((d) => d.name === name)) {
        return undefined;
      }
      out.push(node);
    }
    return out;
  }
}

export class DevicesTree extends FleetTree<DeviceNode> {
  private hasDevices: boolean | undefined;
  private hasVirtual: boolean | undefined;

  getChildren(n?: DeviceNode): DeviceNode[] {
    const v = this.current();
    if (!v) {
      return [];
    }
    if (!n) {
      const has = v.devices.length > 0;
      const virtual = v.devices.some((d) => d.source === 'virtual');
      if (has !== this.hasDevices) {
        this.hasDevices = has;
        void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.hasDevices, has);
      }
      if (virtual !== this.hasVirtual) {
        this.hasVirtual = virtual;
        void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.hasVirtualDevices, virtual);
      }
      if (!has) {
        return []; // the welcome content offers to start or connect one
      }
      const servers = [...new Set([...v.servers, ...v.devices.filter((d) => d.source === 'adb' && d.server).map((d) => d.server!)])];
      const out: DeviceNode[] = servers.map((s) => this.nodes.get({ kind: 'server', id: `server:${s}`, server: s }));
      if (virtual) {
        out.push(this.nodes.get({ kind: 'virtual', id: 'virtual' }));
      }
      return out;
    }
    const list = n.kind === 'server' ? v.devices.filter((d) => d.source === 'adb' && d.server === n.server) : n.kind === 'virtual' ? v.devices.filter((d) => d.source === 'virtual') : [];
    return list.map((d) => this.nodes.get({ kind: 'device', id: `device:${d.source}:${d.serial}`, serial: d.serial }));
  }

  getTreeItem(n: DeviceNode): vscode.TreeItem {
    const v = this.current();
    if (n.kind === 'server') {
      const count = v?.devices.filter((d) => d.source === 'adb' && d.server === n.server).length ?? 0;
      const item = new vscode.TreeItem(`ADB server ${n.server}`, count ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      item.id = n.id;
      item.description = count ? `${count} device${count === 1 ? '' : 's'}` : 'no device';
      item.iconPath = new vscode.ThemeIcon('server');
      item.contextValue = 'adbServer';
      return item;
    }
    if (n.kind === 'virtual') {
      const list = v?.devices.filter((d) => d.source === 'virtual') ?? [];
      const item = new vscode.TreeItem('Virtual devices', vscode.TreeItemCollapsibleState.Expanded);
      item.id = n.id;
      item.description = `${list.length} running · demo game`;
      item.iconPath = new vscode.ThemeIcon('vm-running');
      item.contextValue = 'virtualDevices';
      return item;
    }
    const d = v?.devices.find((x) => x.serial === n.serial && n.id === `device:${x.source}:${x.serial}`);
    if (!d) {
      return new vscode.TreeItem(n.serial);
    }
    return toItem(deviceItem(d), n.id, vscode.TreeItemCollapsibleState.None);
  }

  protected changed(c: FleetChange): undefined | 'none' {
    return c.devices ? undefined : 'none';
  }
}

export class PoolsTree extends FleetTree<PoolNode> {
  getChildren(n?: PoolNode): PoolNode[] {
    const v = this.current();
    if (!v) {
      return [];
    }
    this.feed.wantPools();
    if (!n) {
      return v.pools.map((p) => this.nodes.get({ kind: 'pool', id: `pool:${p.name}`, name: p.name }));
    }
    if (n.kind === 'pool') {
      return (v.pools.find((p) => p.name === n.name)?.leases ?? []).map((l) => this.nodes.get({ kind: 'lease', id: `lease:${n.name}/${l.accountId}`, pool: n.name, accountId: l.accountId }));
    }
    return [];
  }

  getTreeItem(n: PoolNode): vscode.TreeItem {
    const v = this.current();
    if (n.kind === 'pool') {
      const p = v?.pools.find((x) => x.name === n.name);
      if (!p) {
        return new vscode.TreeItem(n.name);
      }
      const item = toItem(poolItem(p), n.id, p.leases.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      return item;
    }
    const l = v?.pools.find((x) => x.name === n.pool)?.leases.find((x) => x.accountId === n.accountId);
    return l ? toItem(leaseItem(l, Date.now()), n.id, vscode.TreeItemCollapsibleState.None) : new vscode.TreeItem(n.accountId);
  }

  protected changed(c: FleetChange): undefined | 'none' {
    return c.pools ? undefined : 'none';
  }
}

export interface FleetTrees {
  groups: GroupsTree;
  devices: DevicesTree;
  pools: PoolsTree;
  groupsView: vscode.TreeView<GroupNode>;
  devicesView: vscode.TreeView<DeviceNode>;
  poolsView: vscode.TreeView<PoolNode>;
}

/** Creates the three views; everything is pushed to `subscriptions`. */
export function registerTrees(feed: FleetFeed, subscriptions: vscode.Disposable[], registrar: Registrar = directRegistrar): FleetTrees {
  const groups = new GroupsTree(feed);
  const devices = new DevicesTree(feed);
  const pools = new PoolsTree(feed);
  const groupsView = registrar.createTreeView(VIEWS.groups, { treeDataProvider: groups, ...VIEW_OPTIONS[VIEWS.groups] });
  const devicesView = registrar.createTreeView(VIEWS.devices, { treeDataProvider: devices, ...VIEW_OPTIONS[VIEWS.devices] });
  const poolsView = registrar.createTreeView(VIEWS.pools, { treeDataProvider: pools, ...VIEW_OPTIONS[VIEWS.pools] });
  groups.bind(groupsView);
  devices.bind(devicesView);
  pools.bind(poolsView);
  subscriptions.push(groups, devices, pools, groupsView, devicesView, poolsView);
  return { groups, devices, pools, groupsView, devicesView, poolsView };
}
