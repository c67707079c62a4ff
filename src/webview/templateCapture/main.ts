/**
 * Capture Template (webview): the frame on a canvas (zoom with the wheel or the buttons around the pointer, pan by
 * dragging with the middle button or with Space held, a pixel grid from 8×), drag a rectangle, nudge it with the
 * arrow keys (Shift: 10 px; Alt: resize), name it and save. The extension scores the selection as it changes
 * (threshold suggestion with its explanation, search region) and writes the template.
 */
import '../templateTools.css';
import type { Rect } from '../../shared/geometry';
import { isMessage, type CaptureEvaluation, type CaptureFrameInfo, type FromCapture, type ToCapture } from '../../shared/templateToolsProtocol';
import { h } from '../dom';
import { vscodeApi } from '../vscodeApi';

const api = vscodeApi<{ name?: string; file?: string }>();
const post = (m: FromCapture) => api.postMessage(m);
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;
const MIN_ZOOM = 0.25;
const MAX_ZOOM = 32;
const GRID_ZOOM = 8;

let frame: CaptureFrameInfo | undefined;
const img = new Image();
let names = new Set<string>();
let sel: Rect | undefined;
let zoom = 1;
/** Frame pixel shown at the canvas' top-left corner. */
let ox = 0;
let oy = 0;
let evalTimer: ReturnType<typeof setTimeout> | undefined;
let evaluation: CaptureEvaluation | undefined;
let thresholdTouched = false;

// ------------------------------------------------------------------ layout
const canvas = h('canvas', { id: 'canvas', tabIndex: 0, 'aria-label': 'Frame: drag to select, arrows nudge, Shift 10 px, Alt resizes' });
const ctx = canvas.getContext('2d')!;
const sourceLabel = h('span', { id: 'source', class: 'muted' });
const zoomLabel = h('span', { id: 'zoom' }, '100%');
const refreshBtn = h('button', { id: 'refresh', title: 'Take a new capture of the device', hidden: true }, 'Refresh');
const zoomOut = h('button', { id: 'zoom-out', title: 'Zoom out' }, '−');
const zoomIn = h('button', { id: 'zoom-in', title: 'Zoom in' }, '+');
const fitBtn = h('button', { id: 'fit', title: 'Fit the frame' }, 'Fit');
const selectionBtn = h('button', { id: 'zoom-selection', title: 'Zoom to the selection' }, 'Selection');
const fields = Object.fromEntries((['x', 'y', 'w', 'h'] as const).map((k) => [k, h('input', { id: `sel-${k}`, type: 'number', min: '0', 'aria-label': k })])) as Record<'x' | 'y' | 'w' | 'h', HTMLInputElement>;
const nameInput = h('input', { id: 'name', type: 'text', placeholder: 'screen.element', spellcheck: 'false', 'aria-label': 'Template name' });
const nameProblem = h('div', { id: 'name-problem', class: 'problem', role: 'alert' });
const fileSelect = h('select', { id: 'file', 'aria-label': 'Registry file' });
const thresholdInput = h('input', { id: 'threshold', type: 'number', min: '0', max: '1', step: '0.01', 'aria-label': 'Threshold' });
const explanation = h('div', { id: 'explanation', class: 'muted' });
const scores = h('div', { id: 'scores' });
const regionLabel = h('div', { id: 'region', class: 'muted' });
const saveBtn = h('button', { id: 'save', class: 'primary', disabled: true }, 'Save Template');
const status = h('div', { id: 'status', role: 'status' });

const app = document.getElementById('app')!;
app.append(
  h('div', { class: 'toolbar' }, sourceLabel, refreshBtn, h('span', { class: 'spacer' }), zoomOut, zoomLabel, zoomIn, fitBtn, selectionBtn),
  h(
    'div',
    { class: 'capture' },
    h('div', { class: 'stage', id: 'stage' }, canvas),
    h(
      'form',
      { class: 'side', id: 'form' },
      h('h3', {}, 'Selection'),
      h('div', { class: 'grid4' }, ...(['x', 'y', 'w', 'h'] as const).flatMap((k) => [h('label', { for: `sel-${k}` }, k), fields[k]])),
      h('label', { for: 'name' }, 'Name'),
      nameInput,
      nameProblem,
      h('label', { for: 'file' }, 'Add to'),
      fileSelect,
      h('label', { for: 'threshold' }, 'Threshold'),
      thresholdInput,
      explanation,
      scores,
      regionLabel,
      saveBtn,
      status,
    ),
  ),
);
const stage = document.getElementById('stage')!;

// ------------------------------------------------------------------ drawing
function resize(): void {
  const r = stage.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.floor(r.width * dpr));
  canvas.height = Math.max(1, Math.floor(r.height * dpr));
  canvas.style.width = `${r.width}px`;
  canvas.style.height = `${r.height}px`;
  draw();
}

function cssSize(): { w: number; h: number } {
  const r = canvas.getBoundingClientRect();
  return { w: r.width, h: r.height };
}

function draw(): void {
  const dpr = window.devicePixelRatio || 1;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  canvas.dataset.zoom = String(zoom);
  canvas.dataset.ox = String(ox);
  canvas.dataset.oy = String(oy);
  zoomLabel.textContent = `${Math.round(zoom * 100)}%`;
  if (!frame || !img.complete) {
    return;
  }
  ctx.setTransform(dpr * zoom, 0, 0, dpr * zoom, -ox * zoom * dpr, -oy * zoom * dpr);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(img, 0, 0);
  const { w: cw, h: ch } = cssSize();
  if (zoom >= GRID_ZOOM) {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.strokeStyle = 'rgba(128,128,128,0.45)';
    ctx.lineWidth = 1 / dpr;
    ctx.beginPath();
    const x0 = Math.floor(ox);
    const y0 = Math.floor(oy);
    for (let x = x0; x <= Math.min(frame.width, ox + cw / zoom + 1); x++) {
      const sx = (x - ox) * zoom;
      ctx.moveTo(sx, 0);
      ctx.lineTo(sx, ch);
    }
    for (let y = y0; y <= Math.min(frame.height, oy + ch / zoom + 1); y++) {
      const sy = (y - oy) * zoom;
      ctx.moveTo(0, sy);
      ctx.lineTo(cw, sy);
    }
    ctx.stroke();
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (evaluation && sel && sameRect(evaluation.rect, sel)) {
    const r = evaluation.region;
    ctx.setLineDash([6, 4]);
    ctx.strokeStyle = 'rgba(255, 200, 0, 0.9)';
    ctx.lineWidth = 1;
    ctx.strokeRect((r.x - ox) * zoom + 0.5, (r.y - oy) * zoom + 0.5, r.w * zoom, r.h * zoom);
    ctx.setLineDash([]);
  }
  if (sel) {
    const x = (sel.x - ox) * zoom;
    const y = (sel.y - oy) * zoom;
    ctx.fillStyle = 'rgba(0, 120, 212, 0.15)';
    ctx.fillRect(x, y, sel.w * zoom, sel.h * zoom);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 3;
    ctx.strokeRect(x - 0.5, y - 0.5, sel.w * zoom + 1, sel.h * zoom + 1);
    ctx.strokeStyle = '#0078d4';
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x - 0.5, y - 0.5, sel.w * zoom + 1, sel.h * zoom + 1);
  }
}

function sameRect(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

// ------------------------------------------------------------------ view
function clampView(): void {
  if (!frame) {
    return;
  }
  const { w, h: hh } = cssSize();
  const vw = w / zoom;
  const vh = hh / zoom;
  ox = vw >= frame.width ? (frame.width - vw) / 2 : Math.min(Math.max(0, ox), frame.width - vw);
  oy = vh >= frame.height ? (frame.height - vh) / 2 : Math.min(Math.max(0, oy), frame.height - vh);
}

function setZoom(z: number, at?: { x: number; y: number }): void {
  const { w, h: hh } = cssSize();
  const p = at ?? { x: w / 2, y: hh / 2 };
  const fx = ox + p.x / zoom;
  const fy = oy + p.y / zoom;
  zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
  ox = fx - p.x / zoom;
  oy = fy - p.y / zoom;
  clampView();
  draw();
}

function fit(): void {
  if (!frame) {
    return;
  }
  const { w, h: hh } = cssSize();
  zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.min(w / frame.width, hh / frame.height)));
  ox = 0;
  oy = 0;
  clampView();
  draw();
}

function toFrame(e: { clientX: number; clientY: number }): { x: number; y: number } {
  const r = canvas.getBoundingClientRect();
  return { x: ox + (e.clientX - r.left) / zoom, y: oy + (e.clientY - r.top) / zoom };
}

// ------------------------------------------------------------------ selection
function clampSel(r: Rect): Rect | undefined {
  if (!frame) {
    return undefined;
  }
  const x = Math.max(0, Math.min(frame.width - 1, Math.round(r.x)));
  const y = Math.max(0, Math.min(frame.height - 1, Math.round(r.y)));
  const w = Math.max(1, Math.min(frame.width - x, Math.round(r.w)));
  const hh = Math.max(1, Math.min(frame.height - y, Math.round(r.h)));
  return { x, y, w, h: hh };
}

function setSelection(r: Rect | undefined, opts: { evaluate?: boolean } = {}): void {
  sel = r ? clampSel(r) : undefined;
  for (const k of ['x', 'y', 'w', 'h'] as const) {
    fields[k].value = sel ? String(sel[k]) : '';
  }
  canvas.dataset.selection = sel ? `${sel.x},${sel.y},${sel.w},${sel.h}` : '';
  draw();
  validate();
  if (sel && opts.evaluate !== false) {
    clearTimeout(evalTimer);
    const r2 = sel;
    scores.textContent = 'Scoring…';
    evalTimer = setTimeout(() => post({ type: 'evaluate', rect: r2 }), 200);
  }
}

let drag: { kind: 'select' | 'pan'; x0: number; y0: number; ox0: number; oy0: number; cx0: number; cy0: number } | undefined;
let spaceDown = false;

canvas.addEventListener('pointerdown', (e) => {
  canvas.focus();
  const p = toFrame(e);
  const pan = e.button === 1 || (e.button === 0 && spaceDown);
  if (e.button !== 0 && !pan) {
    return;
  }
  canvas.setPointerCapture(e.pointerId);
  drag = { kind: pan ? 'pan' : 'select', x0: p.x, y0: p.y, ox0: ox, oy0: oy, cx0: e.clientX, cy0: e.clientY };
  e.preventDefault();
});
canvas.addEventListener('pointermove', (e) => {
  if (!drag) {
    return;
  }
  if (drag.kind === 'pan') {
    ox = drag.ox0 - (e.clientX - drag.cx0) / zoom;
    oy = drag.oy0 - (e.clientY - drag.cy0) / zoom;
    clampView();
    draw();
    return;
  }
  const p = toFrame(e);
  const x0 = Math.floor(Math.min(drag.x0, p.x));
  const y0 = Math.floor(Math.min(drag.y0, p.y));
  const x1 = Math.ceil(Math.max(drag.x0, p.x));
  const y1 = Math.ceil(Math.max(drag.y0, p.y));
  setSelection({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, { evaluate: false });
});
canvas.addEventListener('pointerup', (e) => {
  const d = drag;
  drag = undefined;
  if (d?.kind === 'select' && sel) {
    const p = toFrame(e);
    if (Math.abs(p.x - d.x0) < 1 / zoom && Math.abs(p.y - d.y0) < 1 / zoom) {
      return;
    }
    setSelection(sel);
  }
});
canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    setZoom(zoom * (e.deltaY < 0 ? 1.25 : 0.8), { x: e.clientX - r.left, y: e.clientY - r.top });
  },
  { passive: false },
);
canvas.addEventListener('keydown', (e) => {
  if (e.key === ' ') {
    spaceDown = true;
    e.preventDefault();
    return;
  }
  const dirs: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const d = dirs[e.key];
  if (!d || !sel) {
    if (e.key === '+' || e.key === '=') {
      setZoom(zoom * 1.25);
    } else if (e.key === '-') {
      setZoom(zoom * 0.8);
    }
    return;
  }
  e.preventDefault();
  const step = e.shiftKey ? 10 : 1;
  const r = e.altKey ? { ...sel, w: sel.w + d[0] * step, h: sel.h + d[1] * step } : { ...sel, x: sel.x + d[0] * step, y: sel.y + d[1] * step };
  if (!e.altKey && frame) {
    r.x = Math.max(0, Math.min(frame.width - sel.w, r.x));
    r.y = Math.max(0, Math.min(frame.height - sel.h, r.y));
  }
  setSelection(r);
});
canvas.addEventListener('keyup', (e) => {
  if (e.key === ' ') {
    spaceDown = false;
  }
});
for (const k of ['x', 'y', 'w', 'h'] as const) {
  fields[k].addEventListener('change', () => {
    const r = { x: Number(fields.x.value), y: Number(fields.y.value), w: Number(fields.w.value), h: Number(fields.h.value) };
    if ([r.x, r.y, r.w, r.h].every(Number.isFinite)) {
      setSelection(r);
    }
  });
}
zoomIn.addEventListener('click', () => setZoom(zoom * 1.25));
zoomOut.addEventListener('click', () => setZoom(zoom * 0.8));
fitBtn.addEventListener('click', fit);
selectionBtn.addEventListener('click', () => {
  if (!sel) {
    return;
  }
  const { w, h: hh } = cssSize();
  zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, Math.min(w / (sel.w * 2), hh / (sel.h * 2))));
  ox = sel.x + sel.w / 2 - w / zoom / 2;
  oy = sel.y + sel.h / 2 - hh / zoom / 2;
  clampView();
  draw();
});
refreshBtn.addEventListener('click', () => {
  status.textContent = 'Capturing…';
  post({ type: 'refresh' });
});

// ------------------------------------------------------------------ form
function nameError(): string | undefined {
  const n = nameInput.value.trim();
  if (!n) {
    return 'Give the template a name.';
  }
  if (!NAME_RE.test(n)) {
    return 'A template name uses letters, digits and _ . - / (for example home.packsButton).';
  }
  if (names.has(n)) {
    return `A template named '${n}' exists already.`;
  }
  return undefined;
}

function validate(): void {
  const err = nameInput.value ? nameError() : undefined;
  nameProblem.textContent = err ?? '';
  nameInput.setAttribute('aria-invalid', err ? 'true' : 'false');
  const t = Number(thresholdInput.value);
  saveBtn.disabled = !sel || !!nameError() || !(t > 0 && t <= 1) || !fileSelect.value;
}

nameInput.addEventListener('input', () => {
  api.setState({ ...api.getState(), name: nameInput.value });
  validate();
});
fileSelect.addEventListener('change', () => {
  api.setState({ ...api.getState(), file: fileSelect.value });
  validate();
});
thresholdInput.addEventListener('input', () => {
  thresholdTouched = true;
  validate();
});
document.getElementById('form')!.addEventListener('submit', (e) => {
  e.preventDefault();
  save();
});
saveBtn.addEventListener('click', (e) => {
  e.preventDefault();
  save();
});

function save(): void {
  validate();
  if (saveBtn.disabled || !sel) {
    return;
  }
  saveBtn.disabled = true;
  status.className = '';
  status.textContent = 'Saving…';
  post({ type: 'save', rect: sel, name: nameInput.value.trim(), file: fileSelect.value, threshold: Number(thresholdInput.value) });
}

function showEvaluation(ev: CaptureEvaluation): void {
  if (!sel || !sameRect(ev.rect, sel)) {
    return;
  }
  evaluation = ev;
  if (!thresholdTouched) {
    thresholdInput.value = ev.threshold.toFixed(2);
  }
  explanation.textContent = `Suggested ${ev.threshold.toFixed(2)}: ${ev.explanation}.`;
  scores.replaceChildren(
    h('div', {}, `Here: ${ev.trueScore.toFixed(3)}`),
    h('div', {}, `Best elsewhere on this frame: ${ev.bestFalseHere !== undefined ? ev.bestFalseHere.toFixed(3) : '—'}`),
    h('div', {}, ev.recorderFrames ? `Best on ${ev.recorderFrames} recorded frame${ev.recorderFrames === 1 ? '' : 's'}: ${ev.bestFalseRecorder !== undefined ? ev.bestFalseRecorder.toFixed(3) : '—'}` : 'No recorded frames (the monitor\'s recorder) to compare with.'),
  );
  const r = ev.region;
  regionLabel.textContent = `Search region: ${r.x}, ${r.y}, ${r.w}×${r.h} (the selection with a margin)`;
  validate();
  draw();
}

function showFrame(f: CaptureFrameInfo, first: boolean): void {
  frame = f;
  sourceLabel.textContent = f.label;
  refreshBtn.hidden = !f.live;
  canvas.dataset.width = String(f.width);
  canvas.dataset.height = String(f.height);
  img.onload = () => {
    canvas.dataset.loaded = 'true';
    if (first) {
      fit();
    } else {
      draw();
    }
    if (sel) {
      setSelection(sel);
    }
    status.textContent = '';
  };
  canvas.dataset.loaded = 'false';
  img.src = f.dataUrl;
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const m = e.data;
  if (!isMessage<ToCapture>(m, ['init', 'frame', 'evaluation', 'saved', 'error'])) {
    return;
  }
  switch (m.type) {
    case 'init': {
      names = new Set(m.names);
      const state = api.getState();
      fileSelect.replaceChildren(...m.files.map((f) => h('option', { value: f }, f)));
      fileSelect.value = state?.file && m.files.includes(state.file) ? state.file : m.defaultFile;
      if (state?.name) {
        nameInput.value = state.name;
      }
      showFrame(m.frame, true);
      validate();
      break;
    }
    case 'frame':
      showFrame(m.frame, false);
      break;
    case 'evaluation':
      showEvaluation(m.evaluation);
      break;
    case 'saved':
      names.add(m.name);
      status.className = 'ok';
      status.textContent = `Saved ${m.name} (${m.image}) in ${m.file}: score ${m.score.toFixed(3)} on this frame (${m.found ? 'found' : 'not found'} at threshold ${m.threshold.toFixed(2)}).`;
      thresholdTouched = false;
      validate();
      break;
    case 'error':
      status.className = 'problem';
      status.textContent = m.message;
      scores.textContent = '';
      validate();
      break;
  }
});

new ResizeObserver(() => {
  resize();
  clampView();
}).observe(stage);
post({ type: 'ready' });
