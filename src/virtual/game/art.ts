/**
 * Drawing primitives of the demo game, as SVG fragments in 540x960 reference coordinates: backgrounds, buttons,
 * stroke-font text, stars, hourglasses, cards, packs and small icons. All original, all deterministic.
 */
import type { Rect } from '../../shared/geometry';
import type { Card, PackKind } from './model';
import { fitTextSize, textPathData } from './strokeFont';

/** Collects one SVG document: gradient definitions plus body fragments. */
export class SvgDoc {
  private readonly defs: string[] = [];
  private readonly body: string[] = [];
  private ids = 0;

  add(fragment: string): void {
    this.body.push(fragment);
  }

  /** A vertical linear gradient; returns `url(#id)` for a fill. */
  gradient(top: string, bottom: string): string {
    const id = `g${this.ids++}`;
    this.defs.push(`<linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient>`);
    return `url(#${id})`;
  }

  /** A radial glow (colour at the centre fading to transparent); returns `url(#id)`. */
  glow(color: string): string {
    const id = `g${this.ids++}`;
    this.defs.push(`<radialGradient id="${id}"><stop offset="0" stop-color="${color}" stop-opacity="0.9"/><stop offset="1" stop-color="${color}" stop-opacity="0"/></radialGradient>`);
    return `url(#${id})`;
  }

  /** The document at `width`x`height` pixels; the 540x960 drawing is stretched to fill it. */
  toString(width: number, height: number): string {
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 540 960" preserveAspectRatio="none" shape-rendering="geometricPrecision">` +
      `<defs>${this.defs.join('')}</defs>${this.body.join('')}</svg>`
    );
  }
}

export const RARITY_COLORS = ['#8e9db0', '#3fae6e', '#3a78dc', '#e3a21a'];
const EMBLEM_COLORS = ['#e5484d', '#f08c2b', '#e9c63b', '#46b85a', '#2fa7c9', '#5b6ee8', '#b05ad8'];

/** Darkens (`f` < 1) or lightens (`f` > 1) a `#rrggbb` colour. */
export function shade(hex: string, f: number): string {
  const n = parseInt(hex.slice(1), 16);
  const ch = (v: number) => Math.max(0, Math.min(255, Math.round(f <= 1 ? v * f : v + (255 - v) * (f - 1)))).toString(16).padStart(2, '0');
  return `#${ch((n >> 16) & 255)}${ch((n >> 8) & 255)}${ch(n & 255)}`;
}

function n1(v: number): string {
  return String(Math.round(v * 10) / 10);
}

export function rect(r: Rect, fill: string, opts: { rx?: number; stroke?: string; sw?: number; opacity?: number } = {}): string {
  const extra = `${opts.rx ? ` rx="${opts.rx}"` : ''}${opts.stroke ? ` stroke="${opts.stroke}" stroke-width="${opts.sw ?? 2}"` : ''}${opts.opacity !== undefined ? ` opacity="${opts.opacity}"` : ''}`;
  return `<rect x="${n1(r.x)}" y="${n1(r.y)}" width="${n1(r.w)}" height="${n1(r.h)}" fill="${fill}"${extra}/>`;
}

/**
 * Text in the built-in stroke font. `y` is the top of the capitals; `size` the cap height. `maxWidth` shrinks the
 * text to fit; `outline` draws a darker, thicker stroke underneath.
 */
export function text(
  s: string,
  x: number,
  y: number,
  size: number,
  color: string,
  opts: { anchor?: 'start' | 'middle' | 'end'; maxWidth?: number; weight?: number; outline?: string } = {},
): string {
  const sz = opts.maxWidth ? fitTextSize(s, size, opts.maxWidth) : size;
  const yy = y + (size - sz) / 2;
  const d = textPathData(s, x, yy, sz, opts.anchor ?? 'middle');
  if (!d) {
    return '';
  }
  const sw = sz * (opts.weight ?? 0.17);
  const under = opts.outline ? `<path d="${d}" fill="none" stroke="${opts.outline}" stroke-width="${n1(sw + sz * 0.22)}" stroke-linecap="round" stroke-linejoin="round"/>` : '';
  return `${under}<path d="${d}" fill="none" stroke="${color}" stroke-width="${n1(sw)}" stroke-linecap="round" stroke-linejoin="round"/>`;
}

/** A five-pointed star centred on (cx, cy) with outer radius `r`. */
export function star(cx: number, cy: number, r: number, fill: string, stroke = '#5a3d00'): string {
  const pts: string[] = [];
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const rr = i % 2 === 0 ? r : r * 0.45;
    pts.push(`${n1(cx + rr * Math.cos(a))},${n1(cy + rr * Math.sin(a))}`);
  }
  return `<polygon points="${pts.join(' ')}" fill="${fill}" stroke="${stroke}" stroke-width="${n1(Math.max(1, r * 0.12))}" stroke-linejoin="round"/>`;
}

/** A row of `count` stars centred on (cx, cy). */
export function starRow(cx: number, cy: number, count: number, r: number, fill = '#ffd43b'): string {
  const gap = r * 2.1;
  const x0 = cx - ((count - 1) * gap) / 2;
  let s = '';
  for (let i = 0; i < count; i++) {
    s += star(x0 + i * gap, cy, r, fill);
  }
  return s;
}

/** An hourglass icon of height `h` centred on (cx, cy). */
export function hourglass(cx: number, cy: number, h: number): string {
  const w = h * 0.62;
  const t = cy - h / 2;
  const b = cy + h / 2;
  const cap = h * 0.1;
  return (
    `<rect x="${n1(cx - w / 2 - cap / 2)}" y="${n1(t)}" width="${n1(w + cap)}" height="${n1(cap)}" rx="${n1(cap / 3)}" fill="#8a5a2b"/>` +
    `<rect x="${n1(cx - w / 2 - cap / 2)}" y="${n1(b - cap)}" width="${n1(w + cap)}" height="${n1(cap)}" rx="${n1(cap / 3)}" fill="#8a5a2b"/>` +
    `<path d="M${n1(cx - w / 2)} ${n1(t + cap)}L${n1(cx + w / 2)} ${n1(t + cap)}L${n1(cx + w * 0.08)} ${n1(cy)}L${n1(cx + w / 2)} ${n1(b - cap)}L${n1(cx - w / 2)} ${n1(b - cap)}L${n1(cx - w * 0.08)} ${n1(cy)}Z" fill="#d9f1ff" stroke="#4d7a99" stroke-width="${n1(h * 0.04)}" stroke-linejoin="round"/>` +
    `<path d="M${n1(cx - w * 0.3)} ${n1(t + cap + h * 0.08)}L${n1(cx + w * 0.3)} ${n1(t + cap + h * 0.08)}L${n1(cx)} ${n1(cy - h * 0.04)}Z" fill="#f2c14e"/>` +
    `<path d="M${n1(cx)} ${n1(cy + h * 0.12)}L${n1(cx + w * 0.36)} ${n1(b - cap - h * 0.02)}L${n1(cx - w * 0.36)} ${n1(b - cap - h * 0.02)}Z" fill="#f2c14e"/>`
  );
}

/** A small fanned stack of cards (the Packs button's icon). */
export function cardStackIcon(cx: number, cy: number, h: number): string {
  const w = h * 0.7;
  let s = '';
  const colors = ['#3a78dc', '#3fae6e', '#e3a21a'];
  [-14, 0, 14].forEach((a, i) => {
    s += `<g transform="rotate(${a} ${n1(cx)} ${n1(cy + h * 0.4)})">${rect({ x: cx - w / 2, y: cy - h / 2, w, h }, colors[i], { rx: h * 0.08, stroke: '#ffffff', sw: h * 0.05 })}</g>`;
  });
  return s + star(cx, cy, h * 0.2, '#ffd43b');
}

/** A clipboard with ticks (the Missions button's icon). */
export function checklistIcon(cx: number, cy: number, h: number): string {
  const w = h * 0.78;
  let s = rect({ x: cx - w / 2, y: cy - h / 2, w, h }, '#fff7e0', { rx: h * 0.08, stroke: '#6b4a1f', sw: h * 0.05 });
  s += rect({ x: cx - w * 0.22, y: cy - h / 2 - h * 0.06, w: w * 0.44, h: h * 0.14 }, '#6b4a1f', { rx: h * 0.04 });
  for (let i = 0; i < 3; i++) {
    const y = cy - h * 0.22 + i * h * 0.26;
    s += `<path d="M${n1(cx - w * 0.36)} ${n1(y)}l${n1(h * 0.07)} ${n1(h * 0.07)}l${n1(h * 0.12)} ${n1(-h * 0.14)}" fill="none" stroke="#2f9e44" stroke-width="${n1(h * 0.06)}" stroke-linecap="round" stroke-linejoin="round"/>`;
    s += `<path d="M${n1(cx - w * 0.02)} ${n1(y)}h${n1(w * 0.36)}" stroke="#6b4a1f" stroke-width="${n1(h * 0.05)}" stroke-linecap="round"/>`;
  }
  return s;
}

/** A padlock. */
export function lockIcon(cx: number, cy: number, h: number): string {
  const w = h * 0.8;
  return (
    `<path d="M${n1(cx - w * 0.3)} ${n1(cy)}v${n1(-h * 0.18)}a${n1(w * 0.3)} ${n1(w * 0.3)} 0 0 1 ${n1(w * 0.6)} 0v${n1(h * 0.18)}" fill="none" stroke="#dfe6ee" stroke-width="${n1(h * 0.1)}"/>` +
    rect({ x: cx - w / 2, y: cy, w, h: h * 0.55 }, '#dfe6ee', { rx: h * 0.08, stroke: '#3b4652', sw: h * 0.04 }) +
    `<circle cx="${n1(cx)}" cy="${n1(cy + h * 0.25)}" r="${n1(h * 0.08)}" fill="#3b4652"/>`
  );
}

/** A wrapped present (daily reward). */
export function giftIcon(cx: number, cy: number, h: number): string {
  const w = h;
  return (
    rect({ x: cx - w / 2, y: cy - h * 0.15, w, h: h * 0.65 }, '#e5484d', { rx: h * 0.05, stroke: '#8c1d21', sw: h * 0.03 }) +
    rect({ x: cx - w * 0.56, y: cy - h * 0.32, w: w * 1.12, h: h * 0.2 }, '#f0656a', { rx: h * 0.04, stroke: '#8c1d21', sw: h * 0.03 }) +
    rect({ x: cx - w * 0.08, y: cy - h * 0.32, w: w * 0.16, h: h * 0.82 }, '#ffd43b') +
    `<path d="M${n1(cx)} ${n1(cy - h * 0.32)}c${n1(-h * 0.3)} ${n1(-h * 0.3)} ${n1(-h * 0.38)} ${n1(h * 0.02)} 0 0c${n1(h * 0.38)} ${n1(h * 0.02)} ${n1(h * 0.3)} ${n1(-h * 0.3)} 0 0" fill="none" stroke="#ffd43b" stroke-width="${n1(h * 0.08)}"/>`
  );
}

/** A warning triangle with an exclamation mark (connection error). */
export function warningIcon(cx: number, cy: number, h: number): string {
  const w = h * 1.1;
  return (
    `<path d="M${n1(cx)} ${n1(cy - h / 2)}L${n1(cx + w / 2)} ${n1(cy + h / 2)}L${n1(cx - w / 2)} ${n1(cy + h / 2)}Z" fill="#ffcc33" stroke="#7a4b00" stroke-width="${n1(h * 0.06)}" stroke-linejoin="round"/>` +
    `<path d="M${n1(cx)} ${n1(cy - h * 0.18)}v${n1(h * 0.36)}" stroke="#402800" stroke-width="${n1(h * 0.1)}" stroke-linecap="round"/>` +
    `<circle cx="${n1(cx)}" cy="${n1(cy + h * 0.36)}" r="${n1(h * 0.055)}" fill="#402800"/>`
  );
}

/** A round close button with an X. */
export function closeButton(r: Rect): string {
  const cx = r.x + r.w / 2;
  const cy = r.y + r.h / 2;
  const rr = Math.min(r.w, r.h) / 2;
  const k = rr * 0.42;
  return (
    `<circle cx="${n1(cx)}" cy="${n1(cy)}" r="${n1(rr)}" fill="#d6336c" stroke="#ffffff" stroke-width="3"/>` +
    `<path d="M${n1(cx - k)} ${n1(cy - k)}L${n1(cx + k)} ${n1(cy + k)}M${n1(cx + k)} ${n1(cy - k)}L${n1(cx - k)} ${n1(cy + k)}" stroke="#ffffff" stroke-width="${n1(rr * 0.22)}" stroke-linecap="round"/>`
  );
}

/** A simple avatar head in a circle. */
export function avatar(cx: number, cy: number, r: number): string {
  return (
    `<circle cx="${n1(cx)}" cy="${n1(cy)}" r="${n1(r)}" fill="#ffe3b3" stroke="#ffffff" stroke-width="3"/>` +
    `<circle cx="${n1(cx)}" cy="${n1(cy - r * 0.2)}" r="${n1(r * 0.36)}" fill="#c2703d"/>` +
    `<path d="M${n1(cx - r * 0.62)} ${n1(cy + r * 0.7)}a${n1(r * 0.62)} ${n1(r * 0.55)} 0 0 1 ${n1(r * 1.24)} 0" fill="#c2703d"/>`
  );
}

/**
 * A raised button: darker bottom edge, lighter face, white label. `icon` draws into the button's left part.
 * Disabled buttons are grey.
 */
export function button(
  r: Rect,
  color: string,
  label: string,
  opts: { icon?: (cx: number, cy: number, h: number) => string; disabled?: boolean; labelSize?: number } = {},
): string {
  const base = opts.disabled ? '#8a9099' : color;
  const edge = Math.max(4, r.h * 0.08);
  const rx = Math.min(r.h * 0.28, 24);
  let s = rect({ x: r.x, y: r.y + edge, w: r.w, h: r.h - edge }, shade(base, 0.55), { rx });
  s += rect({ x: r.x, y: r.y, w: r.w, h: r.h - edge }, base, { rx, stroke: shade(base, 0.7), sw: 2 });
  s += rect({ x: r.x + r.w * 0.04, y: r.y + 4, w: r.w * 0.92, h: (r.h - edge) * 0.38 }, '#ffffff', { rx: rx * 0.7, opacity: 0.18 });
  const size = opts.labelSize ?? Math.min(34, r.h * 0.34);
  const faceH = r.h - edge;
  if (opts.icon) {
    const ih = faceH * 0.62;
    s += opts.icon(r.x + faceH * 0.55, r.y + faceH / 2, ih);
    const left = r.x + faceH * 1.05;
    s += text(label, left + (r.x + r.w - 16 - left) / 2, r.y + faceH / 2 - size / 2, size, opts.disabled ? '#e3e6ea' : '#ffffff', { maxWidth: r.x + r.w - 16 - left, outline: shade(base, 0.45) });
  } else {
    s += text(label, r.x + r.w / 2, r.y + faceH / 2 - size / 2, size, opts.disabled ? '#e3e6ea' : '#ffffff', { maxWidth: r.w - 24, outline: shade(base, 0.45) });
  }
  return s;
}

const EMBLEMS = ['circle', 'triangle', 'diamond', 'square', 'hexagon'] as const;

function emblem(kind: (typeof EMBLEMS)[number], cx: number, cy: number, r: number, fill: string): string {
  const stroke = `stroke="${shade(fill, 0.5)}" stroke-width="${n1(r * 0.1)}" stroke-linejoin="round"`;
  const poly = (pts: [number, number][]) => `<polygon points="${pts.map(([x, y]) => `${n1(x)},${n1(y)}`).join(' ')}" fill="${fill}" ${stroke}/>`;
  switch (kind) {
    case 'circle':
      return `<circle cx="${n1(cx)}" cy="${n1(cy)}" r="${n1(r)}" fill="${fill}" ${stroke}/>`;
    case 'triangle':
      return poly([[cx, cy - r], [cx + r, cy + r * 0.8], [cx - r, cy + r * 0.8]]);
    case 'diamond':
      return poly([[cx, cy - r], [cx + r * 0.8, cy], [cx, cy + r], [cx - r * 0.8, cy]]);
    case 'square':
      return rect({ x: cx - r * 0.8, y: cy - r * 0.8, w: r * 1.6, h: r * 1.6 }, fill, { rx: r * 0.15 }).replace('/>', ` ${stroke}/>`);
    case 'hexagon':
      return poly(Array.from({ length: 6 }, (_, i) => [cx + r * Math.cos((i * Math.PI) / 3), cy + r * Math.sin((i * Math.PI) / 3)] as [number, number]));
  }
}

/** A face-up card: rarity-coloured frame, an emblem from its id, its number and its rarity stars. */
export function cardFace(r: Rect, card: Card): string {
  const rc = RARITY_COLORS[Math.max(0, Math.min(3, card.rarity - 1))];
  const rx = r.w * 0.08;
  let s = rect(r, rc, { rx, stroke: '#ffffff', sw: Math.max(2, r.w * 0.03) });
  const art = { x: r.x + r.w * 0.1, y: r.y + r.h * 0.1, w: r.w * 0.8, h: r.h * 0.5 };
  s += rect(art, shade(rc, 1.6), { rx: rx * 0.6, stroke: shade(rc, 0.6), sw: 2 });
  s += emblem(EMBLEMS[card.id % EMBLEMS.length], art.x + art.w / 2, art.y + art.h / 2, Math.min(art.w, art.h) * 0.32, EMBLEM_COLORS[card.id % EMBLEM_COLORS.length]);
  s += text(`#${String(card.id).padStart(3, '0')}`, r.x + r.w / 2, r.y + r.h * 0.65, r.h * 0.08, '#ffffff', { outline: shade(rc, 0.45) });
  s += starRow(r.x + r.w / 2, r.y + r.h * 0.86, card.rarity, Math.min(r.w * 0.085, r.h * 0.06));
  return s;
}

/** A face-down card. */
export function cardBack(r: Rect): string {
  const rx = r.w * 0.08;
  const cx = r.x + r.w / 2;
  const cy = r.y + r.h / 2;
  let s = rect(r, '#243b6b', { rx, stroke: '#ffffff', sw: Math.max(2, r.w * 0.03) });
  s += rect({ x: r.x + r.w * 0.1, y: r.y + r.h * 0.07, w: r.w * 0.8, h: r.h * 0.86 }, 'none', { rx: rx * 0.6, stroke: '#7fa7ff', sw: Math.max(1.5, r.w * 0.02) });
  const d = r.w * 0.3;
  s += `<polygon points="${n1(cx)},${n1(cy - d * 1.25)} ${n1(cx + d)},${n1(cy)} ${n1(cx)},${n1(cy + d * 1.25)} ${n1(cx - d)},${n1(cy)}" fill="#f2b84b" stroke="#ffffff" stroke-width="${n1(r.w * 0.025)}" stroke-linejoin="round"/>`;
  s += star(cx, cy, d * 0.55, '#fff3bf', '#8a5a00');
  return s;
}

/** A foil pack of the given kind. `tear` (0..1) draws the opening tear along the top. */
export function packArt(r: Rect, kind: PackKind, opts: { selected?: boolean; locked?: boolean; tear?: number } = {}): string {
  const premium = kind === 'premium';
  const c1 = premium ? '#f4c542' : '#4f8ef7';
  const c2 = premium ? '#b7791f' : '#2552a8';
  let s = '';
  if (opts.selected) {
    s += rect({ x: r.x - 8, y: r.y - 8, w: r.w + 16, h: r.h + 16 }, 'none', { rx: 22, stroke: '#fff35c', sw: 8 });
  }
  const crimp = r.h * 0.07;
  s += rect(r, c2, { rx: 16 });
  s += rect({ x: r.x + 6, y: r.y + crimp, w: r.w - 12, h: r.h - 2 * crimp }, c1, { rx: 10 });
  for (let i = 0; i < 8; i++) {
    const x = r.x + 10 + (i * (r.w - 20)) / 7;
    s += `<path d="M${n1(x)} ${n1(r.y + 4)}v${n1(crimp - 8)}M${n1(x)} ${n1(r.y + r.h - crimp + 4)}v${n1(crimp - 8)}" stroke="${shade(c2, 0.7)}" stroke-width="3"/>`;
  }
  const cx = r.x + r.w / 2;
  s += `<circle cx="${n1(cx)}" cy="${n1(r.y + r.h * 0.42)}" r="${n1(r.w * 0.3)}" fill="${shade(c1, 1.35)}" stroke="#ffffff" stroke-width="4"/>`;
  s += premium ? star(cx, r.y + r.h * 0.42, r.w * 0.22, '#fff3b0', '#8a5a00') : emblem('diamond', cx, r.y + r.h * 0.42, r.w * 0.2, '#d6e6ff');
  s += text(premium ? 'PREMIUM' : 'STANDARD', cx, r.y + r.h * 0.72, r.w * 0.11, '#ffffff', { maxWidth: r.w - 30, outline: shade(c2, 0.5) });
  if (opts.tear !== undefined && opts.tear > 0) {
    const ty = r.y + crimp + 6;
    s += `<path d="M${n1(r.x + 6)} ${n1(ty)}h${n1((r.w - 12) * Math.min(1, opts.tear))}" stroke="#ffffff" stroke-width="6" stroke-dasharray="10 6"/>`;
  }
  if (opts.locked) {
    s += rect(r, '#000000', { rx: 16, opacity: 0.45 });
    s += lockIcon(cx, r.y + r.h * 0.42, r.w * 0.36);
  }
  return s;
}

/** Low-contrast diagonal stripes over `r` (they overrun its corners: use on full-screen backgrounds). */
export function stripes(r: Rect, color: string, opacity: number, step = 28): string {
  let d = '';
  for (let k = -r.h; k < r.w; k += step) {
    d += `M${n1(r.x + k)} ${n1(r.y + r.h)}L${n1(r.x + k + r.h)} ${n1(r.y)}`;
  }
  return `<g opacity="${opacity}"><path d="${d}" stroke="${color}" stroke-width="${step / 3}"/></g>`;
}
