/** Draws match boxes (device pixels) with their scores over a shown frame, in the theme's colours. */
import type { Size } from '../shared/geometry';
import type { FrameMatch } from '../shared/monitorProtocol';

export interface OverlayColors {
  found: string;
  missed: string;
  labelText: string;
  font: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

/** The colours of the current theme (read again when the theme changes). */
export function overlayColors(): OverlayColors {
  const s = getComputedStyle(document.body);
  return {
    found: cssVar(s, '--vscode-charts-green', '#388a34'),
    missed: cssVar(s, '--vscode-charts-orange', '#d18616'),
    labelText: cssVar(s, '--vscode-editor-background', '#1e1e1e'),
    font: cssVar(s, '--vscode-font-family', 'sans-serif'),
  };
}

export interface DrawOptions {
  /** Full labels (`template 0.97`) or scores only (small tiles). */
  labels: 'full' | 'score';
  /** A gesture in progress to show (display pixels relative to the canvas). */
  stroke?: { from: { x: number; y: number }; to: { x: number; y: number } };
}

/** Redraws the overlay canvas to its current CSS size (crisp at the device pixel ratio). */
export function drawOverlay(canvas: HTMLCanvasElement, matches: readonly FrameMatch[], device: Size | undefined, colors: OverlayColors, opts: DrawOptions): void {
  const cssW = canvas.clientWidth;
  const cssH = canvas.clientHeight;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(cssW * dpr));
  const hgt = Math.max(1, Math.round(cssH * dpr));
  if (canvas.width !== w || canvas.height !== hgt) {
    canvas.width = w;
    canvas.height = hgt;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) {
    return;
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  const drawn: string[] = [];
  if (device && cssW > 0 && cssH > 0) {
    const sx = cssW / device.width;
    const sy = cssH / device.height;
    const fontPx = opts.labels === 'full' ? 12 : 10;
    ctx.font = `${fontPx}px ${colors.font}`;
    ctx.textBaseline = 'top';
    // Misses first, so found boxes are drawn on top.
    const ordered = [...matches].sort((a, b) => Number(a.found) - Number(b.found));
    for (const m of ordered) {
      const x = m.box.x * sx;
      const y = m.box.y * sy;
      const bw = Math.max(2, m.box.w * sx);
      const bh = Math.max(2, m.box.h * sy);
      const color = m.found ? colors.found : colors.missed;
      ctx.lineWidth = m.found ? 2 : 1.5;
      ctx.setLineDash(m.found ? [] : [4, 3]);
      ctx.strokeStyle = color;
      ctx.strokeRect(x + 0.5, y + 0.5, bw - 1, bh - 1);
      const label = opts.labels === 'full' ? `${m.template} ${m.score.toFixed(2)}` : m.score.toFixed(2);
      const tw = ctx.measureText(label).width + 6;
      const th = fontPx + 4;
      const ly = y - th >= 0 ? y - th : y;
      const lx = Math.min(Math.max(0, x), Math.max(0, cssW - tw));
      ctx.setLineDash([]);
      ctx.fillStyle = color;
      ctx.fillRect(lx, ly, tw, th);
      ctx.fillStyle = colors.labelText;
      ctx.fillText(label, lx + 3, ly + 2);
      drawn.push(label);
    }
  }
  if (opts.stroke) {
    ctx.setLineDash([]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = colors.found;
    ctx.beginPath();
    ctx.moveTo(opts.stroke.from.x, opts.stroke.from.y);
    ctx.lineTo(opts.stroke.to.x, opts.stroke.to.y);
    ctx.stroke();
  }
  // What was drawn, for tests and assistive tooling.
  canvas.dataset.matches = drawn.join('|');
}
