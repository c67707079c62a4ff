/**
 * Template Lab (webview): the table of a template run (score, threshold, margin, found, position) with false
 * positives and misses called out; "Expected" marks per row; a click shows the frame with the match's box.
 */
import '../templateTools.css';
import { isMessage, type FromLab, type LabRow, type ToLab } from '../../shared/templateToolsProtocol';
import { h } from '../dom';
import { vscodeApi } from '../vscodeApi';

const api = vscodeApi();
const post = (m: FromLab) => api.postMessage(m);

const title = h('span', { id: 'title' });
const summary = h('span', { id: 'summary', class: 'muted' });
const rerun = h('button', { id: 'rerun', title: 'Take the frames anew and run again' }, 'Run Again');
const tbody = h('tbody', { id: 'rows' });
const table = h(
  'table',
  { id: 'table' },
  h('thead', {}, h('tr', {}, ...['Template', 'Frame', 'Score', 'Threshold', 'Margin', 'Found', 'Expected', 'Verdict', 'Position'].map((c) => h('th', { scope: 'col' }, c)))),
  tbody,
);
const previewCanvas = h('canvas', { id: 'preview-canvas', 'aria-label': 'The frame with the match' });
const previewLabel = h('div', { id: 'preview-label', class: 'muted' }, 'Click a row to see its frame.');
const status = h('div', { id: 'status', role: 'status', class: 'problem' });
const app = document.getElementById('app')!;
app.append(
  h('div', { class: 'toolbar' }, title, summary, h('span', { class: 'spacer' }), rerun),
  status,
  h('div', { class: 'lab' }, h('div', { class: 'table-wrap' }, table), h('div', { class: 'preview' }, previewLabel, previewCanvas)),
);

let selected: string | undefined;
/** The rows shown (the frame preview labels its box with the row's template and score). */
let shownRows: LabRow[] = [];
const VERDICT_TEXT: Record<LabRow['verdict'], string> = { 'false-positive': 'false positive', miss: 'miss', ok: 'ok', unknown: '' };

function render(rows: LabRow[]): void {
  shownRows = rows;
  tbody.replaceChildren(
    ...rows.map((r) => {
      // An expectation inferred from the recorded run reads "yes (run)" in italics; picking a value overrides it.
      const run = (v: boolean) => (r.inferred && r.expected === v ? ' (run)' : '');
      const expected = h(
        'select',
        {
          'aria-label': `Expected on ${r.frameLabel}`,
          class: `expected${r.inferred ? ' inferred' : ''}`,
          title: r.inferred ? `Inferred from the recorded run: its match of ${r.template} on this frame was ${r.expected ? 'found' : 'not found'}. Pick a value to override it.` : undefined,
        },
        h('option', { value: '' }, '—'),
        h('option', { value: 'yes' }, `yes${run(true)}`),
        h('option', { value: 'no' }, `no${run(false)}`),
      );
      expected.value = r.expected === undefined ? '' : r.expected ? 'yes' : 'no';
      expected.addEventListener('click', (e) => e.stopPropagation());
      expected.addEventListener('change', () => post({ type: 'expect', rowId: r.id, expected: expected.value === '' ? null : expected.value === 'yes' }));
      const close = Math.abs(r.margin) < 0.05;
      const tr = h(
        'tr',
        { class: `row${r.id === selected ? ' selected' : ''}`, 'data-id': r.id, 'data-verdict': r.verdict, tabIndex: 0 },
        h('td', {}, r.template),
        h('td', { class: 'frame', title: r.frameLabel }, r.frameLabel),
        h('td', { class: 'num' }, r.score.toFixed(3)),
        h('td', { class: 'num' }, r.threshold.toFixed(2)),
        h('td', { class: `num${close ? ' verdict-miss' : ''}`, title: close ? 'within 0.05 of the threshold: a close call' : undefined }, `${r.margin >= 0 ? '+' : ''}${r.margin.toFixed(3)}`),
        h('td', {}, r.found ? 'yes' : 'no'),
        h('td', {}, expected),
        h('td', { class: `verdict-${r.verdict}` }, VERDICT_TEXT[r.verdict]),
        // The position last: a narrow editor scrolls it away before the verdict.
        h('td', {}, `${r.box.x}, ${r.box.y} (${r.box.w}×${r.box.h})`),
      );
      const show = () => {
        selected = r.id;
        for (const other of tbody.querySelectorAll('tr.selected')) {
          other.classList.remove('selected');
        }
        tr.classList.add('selected');
        post({ type: 'show', rowId: r.id });
      };
      tr.addEventListener('click', show);
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          show();
        }
      });
      return tr;
    }),
  );
}

function showFrame(m: Extract<ToLab, { type: 'frame' }>): void {
  const img = new Image();
  img.onload = () => {
    previewCanvas.width = m.width;
    previewCanvas.height = m.height;
    const ctx = previewCanvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    // The preview is shown scaled down (a 540-pixel frame in a pane beside or under the table): size the line and the
    // label in frame pixels so they come out about 3 and 12 pixels on screen.
    const shown = previewCanvas.clientWidth || previewCanvas.parentElement?.clientWidth || m.width;
    const k = Math.max(1, m.width / Math.max(1, Math.min(shown, m.width)));
    const colour = m.found ? '#2ea043' : '#d29922';
    ctx.lineWidth = Math.max(2, Math.round(3 * k));
    ctx.strokeStyle = colour;
    ctx.setLineDash(m.found ? [] : [6 * k, 4 * k]);
    ctx.strokeRect(m.box.x, m.box.y, m.box.w, m.box.h);
    const row = shownRows.find((r) => r.id === m.rowId);
    if (row) {
      const fontPx = Math.round(12 * k);
      ctx.font = `${fontPx}px sans-serif`;
      ctx.textBaseline = 'bottom';
      const text = `${row.template} ${row.score.toFixed(2)}`;
      const pad = Math.round(3 * k);
      const tw = ctx.measureText(text).width + 2 * pad;
      const x = Math.min(Math.max(0, m.box.x), Math.max(0, m.width - tw));
      const y = m.box.y - fontPx - 2 * pad >= 0 ? m.box.y : m.box.y + m.box.h + fontPx + 2 * pad;
      ctx.setLineDash([]);
      ctx.fillStyle = colour;
      ctx.fillRect(x, y - fontPx - 2 * pad, tw, fontPx + 2 * pad);
      ctx.fillStyle = '#ffffff';
      ctx.fillText(text, x + pad, y - pad);
    }
    previewCanvas.dataset.row = m.rowId;
    previewLabel.textContent = `${m.found ? 'Match' : 'Best candidate (below the threshold)'} at ${m.box.x}, ${m.box.y}`;
  };
  img.src = m.dataUrl;
}

rerun.addEventListener('click', () => {
  summary.textContent = 'Running…';
  post({ type: 'rerun' });
});

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const m = e.data;
  if (!isMessage<ToLab>(m, ['rows', 'frame', 'error'])) {
    return;
  }
  if (m.type === 'rows') {
    status.textContent = '';
    title.textContent = m.title;
    const fp = m.rows.filter((r) => r.verdict === 'false-positive').length;
    const miss = m.rows.filter((r) => r.verdict === 'miss').length;
    summary.textContent = m.frames
      ? `${m.templates} template${m.templates === 1 ? '' : 's'} × ${m.frames} frame${m.frames === 1 ? '' : 's'} · ${fp} false positive${fp === 1 ? '' : 's'} · ${miss} miss${miss === 1 ? '' : 'es'}`
      : 'No frames: start a device or record with the monitor, then Run Again.';
    render(m.rows);
  } else if (m.type === 'frame') {
    showFrame(m);
  } else {
    status.textContent = m.message;
  }
});

post({ type: 'ready' });
