/**
 * Every id the extension contributes: commands, views, the view container and context keys. package.json declares
 * the same ids; test/unit/extension/manifest.test.ts checks the two against each other.
 */

export const EXTENSION_ID = 'emulator-fleet.emulator-fleet';
export const CATEGORY = 'Emulator Fleet';

export const VIEW_CONTAINER = 'emulatorFleet';

export const VIEWS = {
  groups: 'emulatorFleet.views.groups',
  devices: 'emulatorFleet.views.devices',
  pools: 'emulatorFleet.views.pools',
} as const;

/** The options each tree view is created with (the bootstrap creates the views before the fleet code loads). */
export const VIEW_OPTIONS: Readonly<Record<(typeof VIEWS)[keyof typeof VIEWS], { showCollapseAll: boolean }>> = {
  [VIEWS.groups]: { showCollapseAll: true },
  [VIEWS.devices]: { showCollapseAll: false },
  [VIEWS.pools]: { showCollapseAll: true },
};

/** The monitor panel's webview type (its serializer restores it after a reload). */
export const MONITOR_VIEW_TYPE = 'emulatorFleet.monitor';
/** The debugger's type, as launch.json names it. */
export const DEBUG_TYPE = 'emulator-fleet';
/** The debugger's Screen view (a webview view in the Run and Debug container). */
export const SCREEN_VIEW_ID = 'emulatorFleet.debugScreen';

export const COMMANDS = {
  showLogs: 'emulatorFleet.showLogs',
  openMonitor: 'emulatorFleet.monitor.open',
  refresh: 'emulatorFleet.refresh',
  createGroup: 'emulatorFleet.group.create',
  startGroup: 'emulatorFleet.group.start',
  stopGroup: 'emulatorFleet.group.stop',
  pauseGroup: 'emulatorFleet.group.pause',
  resumeGroup: 'emulatorFleet.group.resume',
  editGroup: 'emulatorFleet.group.edit',
  duplicateGroup: 'emulatorFleet.group.duplicate',
  deleteGroup: 'emulatorFleet.group.delete',
  openProblem: 'emulatorFleet.group.openProblem',
  startAll: 'emulatorFleet.groups.startAll',
  stopAll: 'emulatorFleet.groups.stopAll',
  pauseBot: 'emulatorFleet.bot.pause',
  resumeBot: 'emulatorFleet.bot.resume',
  restartBot: 'emulatorFleet.bot.restart',
  goToStep: 'emulatorFleet.bot.goToStep',
  startVirtualDevices: 'emulatorFleet.devices.startVirtual',
  stopVirtualDevices: 'emulatorFleet.devices.stopVirtual',
  connectDevice: 'emulatorFleet.devices.connect',
  importAccounts: 'emulatorFleet.pools.import',
  validateWorkspace: 'emulatorFleet.workspace.validate',
  /** Run Routine on a Device: the palette, the views and the routine editor (src/extension/editor/runRoutine.ts). */
  runRoutine: 'emulatorFleet.routine.run',
  openWalkthrough: 'emulatorFleet.walkthrough.open',
  pickDevice: 'emulatorFleet.pickDevice',
  /** The routine editor (src/extension/editor). */
  captureTemplate: 'emulatorFleet.editor.captureTemplate',
  templateLab: 'emulatorFleet.editor.templateLab',
} as const;

/** The monitor's command (the status bar item and the Groups view title call it). */
export const MONITOR_OPEN_COMMAND = COMMANDS.openMonitor;

export const WALKTHROUGH_ID = 'emulatorFleet.gettingStarted';

/** Context keys the manifest's `when` clauses read. */
export const CONTEXT_KEYS = {
  /** `loading` | `ready` | `failed` | `noFolder` */
  fleetState: 'emulatorFleet.fleetState',
  hasGroups: 'emulatorFleet.hasGroups',
  hasDevices: 'emulatorFleet.hasDevices',
  hasVirtualDevices: 'emulatorFleet.hasVirtualDevices',
  /** Some group runs (the walkthrough's "start a group" step completes on it, not on the command being run). */
  groupsRunning: 'emulatorFleet.groupsRunning',
} as const;

/** contextValue prefixes of tree items (`botGroup.running`, `bot.paused`, ...). */
export const CONTEXT_VALUES = {
  group: 'botGroup',
  bot: 'bot',
  adbServer: 'adbServer',
  virtualDevices: 'virtualDevices',
  device: 'device',
  pool: 'pool',
  lease: 'lease',
  info: 'info',
} as const;
