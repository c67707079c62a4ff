/**
 * What the monitor keeps across a reload of the webview (VS Code's webview state): the zoomed bot, the collapsed
 * cards and the scroll position. Whatever comes back from storage is checked: a bad value falls back to the default.
 */
import type { BotRef } from '../../shared/monitorProtocol';

export interface UiState {
  v: 1;
  zoom?: BotRef;
  /** Names of the collapsed cards. */
  collapsed: string[];
  scrollY: number;
}

export const DEFAULT_UI_STATE: UiState = { v: 1, collapsed: [], scrollY: 0 };

function isName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 256;
}

/** A valid state from whatever was stored (or the default). */
export function readUiState(raw: unknown): UiState {
  if (typeof raw !== 'object' || raw === null) {
    return { ...DEFAULT_UI_STATE, collapsed: [] };
  }
  const r = raw as Record<string, unknown>;
  const z = r.zoom as Record<string, unknown> | undefined;
  const zoom = typeof z === 'object' && z !== null && isName(z.group) && isName(z.instance) ? { group: z.group, instance: z.instance } : undefined;
  const collapsed = Array.isArray(r.collapsed) ? r.collapsed.filter(isName).slice(0, 1000) : [];
  const scrollY = typeof r.scrollY === 'number' && Number.isFinite(r.scrollY) && r.scrollY >= 0 ? r.scrollY : 0;
  return { v: 1, zoom, collapsed, scrollY };
}
