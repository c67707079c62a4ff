/** Draws one frame of the demo game as an SVG document, from an immutable view of the game's state. */
import type { Rect } from '../../shared/geometry';
import type { PopupKind } from '../types';
import {
  avatar,
  button,
  cardBack,
  cardFace,
  cardStackIcon,
  checklistIcon,
  closeButton,
  giftIcon,
  hourglass,
  packArt,
  rect,
  shade,
  star,
  stripes,
  SvgDoc,
  text,
  warningIcon,
} from './art';
import { LAYOUT } from './layout';
import { OPENING_MS, SHUFFLE_MS, FRAME_MS, SPLASH_MS, type DialogKind, type GameView } from './model';

const FULL: Rect = { x: 0, y: 0, w: 540, h: 960 };
export const SPLASH_FRAMES = SPLASH_MS / FRAME_MS;
/** The opening animation's last frame: from this one on, "TAP TO REVEAL" shows and a tap reveals the cards. */
export const OPENING_FRAMES = OPENING_MS / FRAME_MS;
/** The shuffle's last frame: the cards rest in their slots and can be picked. */
export const SHUFFLE_FRAMES = SHUFFLE_MS / FRAME_MS;

/** The SVG for `view` at `width`x`height` pixels. */
export function buildSceneSvg(view: GameView, width: number, height: number): string {
  const doc = new SvgDoc();
  switch (view.screen) {
    case 'launcher':
      drawLauncher(doc);
      break;
    case 'splash':
      drawSplash(doc, view.frame);
      break;
    case 'title':
      drawTitle(doc);
      break;
    case 'home':
      drawHome(doc, view);
      break;
    case 'packSelect':
      drawPackSelect(doc, view);
      break;
    case 'opening':
      drawOpening(doc, view);
      break;
    case 'results':
      drawResults(doc, view);
      break;
    case 'wonderPick':
      drawWonderPick(doc, view);
      break;
    case 'wonderPickCards':
      drawWonderPickCards(doc, view.frame);
      break;
    case 'wonderPickResult':
      drawWonderPickResult(doc, view);
      break;
    case 'missions':
      drawMissions(doc, view);
      break;
  }
  if (view.screen !== 'launcher') {
    if (view.dialog) {
      drawDialog(doc, view.dialog);
    } else if (view.popup) {
      drawPopup(doc, view.popup);
    }
  }
  drawStatusBar(doc);
  return doc.toString(width, height);
}

function background(doc: SvgDoc, top: string, bottom: string): void {
  doc.add(rect(FULL, doc.gradient(top, bottom)));
  doc.add(stripes(FULL, '#ffffff', 0.05));
}

function header(doc: SvgDoc, title: string, color: string): void {
  const r = LAYOUT.home.header;
  doc.add(rect({ x: r.x, y: r.y + r.h - 6, w: r.w, h: 8 }, '#000000', { opacity: 0.25 }));
  doc.add(rect(r, doc.gradient(shade(color, 1.25), color)));
  doc.add(text(title, r.x + r.w / 2, r.y + r.h / 2 - 17, 34, '#ffffff', { maxWidth: r.w - 40, outline: shade(color, 0.5) }));
}

function drawStatusBar(doc: SvgDoc): void {
  const r = LAYOUT.statusBar;
  doc.add(rect(r, '#0b0d10'));
  doc.add(text('12:00', 16, 10, 13, '#f1f3f5', { anchor: 'start', weight: 0.2 }));
  for (let i = 0; i < 4; i++) {
    doc.add(rect({ x: 448 + i * 7, y: 22 - (i + 1) * 3.5, w: 5, h: (i + 1) * 3.5 }, '#f1f3f5'));
  }
  doc.add(rect({ x: 486, y: 10, w: 34, h: 14 }, 'none', { rx: 2, stroke: '#f1f3f5', sw: 2 }));
  doc.add(rect({ x: 489, y: 13, w: 24, h: 8 }, '#69db7c'));
  doc.add(rect({ x: 520, y: 14, w: 3, h: 6 }, '#f1f3f5'));
}

function drawLauncher(doc: SvgDoc): void {
  doc.add(rect(FULL, doc.gradient('#355c7d', '#6c5b7b')));
  for (let i = 0; i < 14; i++) {
    const x = (i * 173) % 540;
    const y = 60 + ((i * 331) % 860);
    doc.add(`<circle cx="${x}" cy="${y}" r="${30 + ((i * 37) % 70)}" fill="#ffffff" opacity="0.06"/>`);
  }
  const names = ['CLOCK', 'PHOTOS', 'MAPS', 'STORE'];
  const colors = ['#495057', '#e64980', '#2f9e44', '#1c7ed6'];
  LAYOUT.launcher.appIcons.forEach((r, i) => {
    doc.add(rect(r, colors[i], { rx: 24 }));
    const cx = r.x + r.w / 2;
    const cy = r.y + r.h / 2;
    const glyphs = [
      `<circle cx="${cx}" cy="${cy}" r="28" fill="none" stroke="#ffffff" stroke-width="5"/><path d="M${cx} ${cy - 18}V${cy}L${cx + 13} ${cy + 9}" fill="none" stroke="#ffffff" stroke-width="5" stroke-linecap="round"/>`,
      `<circle cx="${cx - 12}" cy="${cy - 12}" r="10" fill="#ffd43b"/><path d="M${cx - 32} ${cy + 28}L${cx - 8} ${cy}L${cx + 6} ${cy + 14}L${cx + 16} ${cy + 4}L${cx + 32} ${cy + 28}Z" fill="#ffffff"/>`,
      `<path d="M${cx} ${cy + 32}C${cx - 30} ${cy - 2} ${cx - 24} ${cy - 32} ${cx} ${cy - 32}C${cx + 24} ${cy - 32} ${cx + 30} ${cy - 2} ${cx} ${cy + 32}Z" fill="#ffffff"/><circle cx="${cx}" cy="${cy - 10}" r="9" fill="#2f9e44"/>`,
      `<path d="M${cx - 26} ${cy - 14}H${cx + 26}L${cx + 20} ${cy + 28}H${cx - 20}Z" fill="#ffffff"/><path d="M${cx - 12} ${cy - 14}V${cy - 22}A12 12 0 0 1 ${cx + 12} ${cy - 22}V${cy - 14}" fill="none" stroke="#ffffff" stroke-width="5"/>`,
    ];
    doc.add(glyphs[i]);
    doc.add(text(names[i], cx, r.y + r.h + 10, 13, '#ffffff', { outline: '#22262b' }));
  });
  doc.add(rect({ x: 40, y: 290, w: 460, h: 56 }, '#ffffff', { rx: 28, opacity: 0.85 }));
  doc.add(`<circle cx="76" cy="316" r="12" fill="none" stroke="#495057" stroke-width="4"/><path d="M85 325l10 10" stroke="#495057" stroke-width="4" stroke-linecap="round"/>`);
  doc.add(text('SEARCH', 110, 310, 14, '#868e96', { anchor: 'start' }));
  const g = LAYOUT.launcher.gameIcon;
  doc.add(rect({ x: g.x + 4, y: g.y + 8, w: g.w, h: g.h }, '#000000', { rx: 30, opacity: 0.3 }));
  doc.add(rect(g, doc.gradient('#ffb703', '#e85d04'), { rx: 30, stroke: '#ffffff', sw: 4 }));
  doc.add(cardStackIcon(g.x + g.w / 2, g.y + g.h / 2, g.h * 0.56));
  const l = LAYOUT.launcher.gameLabel;
  doc.add(text('POCKET PACKS', l.x + l.w / 2, l.y + 8, 16, '#ffffff', { outline: '#22262b' }));
  const d = LAYOUT.launcher.dock;
  doc.add(rect(d, '#ffffff', { opacity: 0.18 }));
  const dockColors = ['#37b24d', '#1c7ed6', '#f76707', '#868e96'];
  dockColors.forEach((c, i) => {
    const cx = 90 + i * 120;
    doc.add(`<circle cx="${cx}" cy="${d.y + 60}" r="34" fill="${c}" stroke="#ffffff" stroke-width="3"/>`);
    doc.add(`<circle cx="${cx}" cy="${d.y + 60}" r="12" fill="#ffffff" opacity="0.85"/>`);
  });
}

function drawSplash(doc: SvgDoc, frame: number): void {
  doc.add(rect(FULL, doc.gradient('#141a2e', '#05070d')));
  const r = LAYOUT.splash.logo;
  const cx = r.x + r.w / 2;
  const cy = r.y + r.h / 2;
  doc.add(`<circle cx="${cx}" cy="${cy}" r="${r.w / 2 - 6}" fill="none" stroke="#4dabf7" stroke-width="8" opacity="0.85"/>`);
  const a = frame * 36;
  doc.add(`<g transform="rotate(${a} ${cx} ${cy})">${rect({ x: cx - 40, y: cy - 56, w: 80, h: 112 }, '#4dabf7', { rx: 10, stroke: '#ffffff', sw: 5 })}${star(cx, cy, 26, '#ffd43b')}</g>`);
  doc.add(text('FLEET STUDIO', cx, r.y + r.h + 30, 24, '#dbe4ff'));
  const p = LAYOUT.splash.progress;
  doc.add(rect(p, '#1f2740', { rx: p.h / 2, stroke: '#4c6ef5', sw: 2 }));
  const fill = ((Math.min(frame, SPLASH_FRAMES - 1) + 1) / SPLASH_FRAMES) * (p.w - 6);
  doc.add(rect({ x: p.x + 3, y: p.y + 3, w: fill, h: p.h - 6 }, '#748ffc', { rx: (p.h - 6) / 2 }));
}

function drawTitle(doc: SvgDoc): void {
  background(doc, '#1b2a6b', '#0d1433');
  const r = LAYOUT.title.logo;
  const cx = r.x + r.w / 2;
  doc.add(`<ellipse cx="${cx}" cy="${r.y + 140}" rx="220" ry="120" fill="${doc.glow('#7950f2')}"/>`);
  [-36, -18, 0, 18, 36].forEach((a, i) => {
    const card = { x: cx - 55, y: r.y + 20, w: 110, h: 154 };
    const inner = i % 2 === 0 ? cardBack(card) : cardFace(card, { id: 7 + i * 13, rarity: i + 1 });
    doc.add(`<g transform="rotate(${a} ${cx} ${r.y + 260})">${inner}</g>`);
  });
  doc.add(text('POCKET', cx, r.y + 150, 58, '#ffd43b', { outline: '#7a2e00', weight: 0.2 }));
  doc.add(text('PACKS', cx, r.y + 215, 62, '#ffffff', { outline: '#1a1f66', weight: 0.2 }));
  const t = LAYOUT.title.tapToStart;
  doc.add(rect(t, '#000000', { rx: t.h / 2, opacity: 0.35 }));
  doc.add(rect(t, 'none', { rx: t.h / 2, stroke: '#ffd43b', sw: 3 }));
  doc.add(text('TAP TO START', t.x + t.w / 2, t.y + t.h / 2 - 13, 26, '#ffffff'));
  doc.add(text('V1.0', 270, 900, 14, '#91a7ff'));
}

function drawHome(doc: SvgDoc, view: GameView): void {
  background(doc, '#2b6cb0', '#173a63');
  header(doc, 'HOME', '#1c4e8a');
  const acc = view.account;
  const np = LAYOUT.home.namePlate;
  doc.add(rect(np, '#ffffff', { rx: 18, opacity: 0.16 }));
  doc.add(avatar(np.x + 40, np.y + np.h / 2, 27));
  doc.add(text(acc ? acc.name : 'NO ACCOUNT', np.x + 82, np.y + 18, 24, '#ffffff', { anchor: 'start', maxWidth: np.w - 100, outline: '#10305a' }));
  doc.add(text(acc ? acc.id : '-', np.x + 82, np.y + 50, 12, '#c5dcf5', { anchor: 'start', maxWidth: np.w - 100 }));
  if (acc?.premium) {
    doc.add(star(np.x + np.w - 30, np.y + np.h / 2, 18, '#ffd43b'));
  }
  const pc = LAYOUT.home.packsCounter;
  doc.add(rect(pc, '#0e2a4d', { rx: 16, opacity: 0.55 }));
  doc.add(cardStackIcon(pc.x + 44, pc.y + pc.h / 2, 50));
  doc.add(text('PACKS', pc.x + 86, pc.y + 18, 14, '#a5c8f0', { anchor: 'start' }));
  doc.add(text(String(acc?.packsOpened ?? 0), pc.x + 86, pc.y + 44, 30, '#ffffff', { anchor: 'start', maxWidth: pc.w - 100 }));
  const hc = LAYOUT.home.hourglassCounter;
  doc.add(rect(hc, '#0e2a4d', { rx: 16, opacity: 0.55 }));
  doc.add(hourglass(hc.x + 44, hc.y + hc.h / 2, 58));
  doc.add(text('HOURGLASS', hc.x + 86, hc.y + 18, 14, '#a5c8f0', { anchor: 'start' }));
  doc.add(text(String(acc?.hourglasses ?? 0), hc.x + 86, hc.y + 44, 30, '#ffffff', { anchor: 'start', maxWidth: hc.w - 100 }));
  doc.add(button(LAYOUT.home.packsButton, '#f08c00', 'PACKS', { icon: cardStackIcon }));
  doc.add(button(LAYOUT.home.wonderPickButton, '#0ca678', 'WONDER PICK', { icon: (x, y, h) => star(x, y, h * 0.55, '#ffe066') }));
  doc.add(button(LAYOUT.home.missionsButton, '#7048e8', 'MISSIONS', { icon: checklistIcon }));
}

function drawPackSelect(doc: SvgDoc, view: GameView): void {
  background(doc, '#5f3dc4', '#2b1a66');
  header(doc, 'PACKS', '#4a2fa0');
  doc.add(packArt(LAYOUT.packSelect.premium, 'premium', { selected: view.selectedPack === 'premium', locked: !view.account?.premium }));
  doc.add(packArt(LAYOUT.packSelect.standard, 'standard', { selected: view.selectedPack === 'standard' }));
  doc.add(text(`SELECTED: ${view.selectedPack === 'premium' ? 'PREMIUM' : 'STANDARD'}`, 270, 550, 20, '#e5dbff'));
  doc.add(button(LAYOUT.packSelect.open, '#e8590c', 'OPEN'));
}

function drawOpening(doc: SvgDoc, view: GameView): void {
  const f = Math.min(view.frame, OPENING_FRAMES);
  const done = f >= OPENING_FRAMES;
  background(doc, '#3b0a57', '#12031f');
  header(doc, 'OPENING', '#862e9c');
  const p = LAYOUT.opening.pack;
  const cx = p.x + p.w / 2;
  const cy = p.y + p.h / 2;
  doc.add(`<circle cx="${cx}" cy="${cy}" r="${90 + f * 12}" fill="${doc.glow(view.openingPack === 'premium' ? '#ffd43b' : '#74c0fc')}"/>`);
  if (done) {
    let rays = '';
    for (let i = 0; i < 12; i++) {
      const a = (i * Math.PI) / 6;
      const b = a + 0.12;
      rays += `M${cx} ${cy}L${(cx + 420 * Math.cos(a)).toFixed(1)} ${(cy + 420 * Math.sin(a)).toFixed(1)}L${(cx + 420 * Math.cos(b)).toFixed(1)} ${(cy + 420 * Math.sin(b)).toFixed(1)}Z`;
    }
    doc.add(`<path d="${rays}" fill="#fff3bf" opacity="0.25"/>`);
  }
  const angle = done ? 0 : (f % 2 === 0 ? 1 : -1) * (2 + f * 0.4);
  doc.add(`<g transform="rotate(${angle.toFixed(1)} ${cx} ${cy})">${packArt(p, view.openingPack, { tear: f / OPENING_FRAMES })}</g>`);
  const t = LAYOUT.opening.tapToReveal;
  if (done) {
    doc.add(rect(t, '#000000', { rx: t.h / 2, opacity: 0.4 }));
    doc.add(rect(t, 'none', { rx: t.h / 2, stroke: '#fff3bf', sw: 3 }));
    doc.add(text('TAP TO REVEAL', t.x + t.w / 2, t.y + t.h / 2 - 13, 26, '#ffffff'));
  } else {
    for (let i = 0; i < 3; i++) {
      doc.add(`<circle cx="${250 + i * 20}" cy="${t.y + t.h / 2}" r="6" fill="#e5dbff" opacity="${(f + i) % 3 === 0 ? 1 : 0.35}"/>`);
    }
  }
}

function drawResults(doc: SvgDoc, view: GameView): void {
  background(doc, '#0b7285', '#06394a');
  header(doc, 'RESULTS', '#0a5f6e');
  view.results.forEach((card, i) => {
    const r = LAYOUT.results.cards[i];
    if (r) {
      doc.add(cardFace(r, card));
    }
  });
  doc.add(button(LAYOUT.results.next, '#1971c2', 'NEXT'));
}

function drawWonderPick(doc: SvgDoc, view: GameView): void {
  background(doc, '#2f9e44', '#14532d');
  header(doc, 'WONDER PICK', '#237a35');
  view.offers.forEach((offer, i) => {
    const r = LAYOUT.wonderPick.offers[i];
    if (!r) {
      return;
    }
    doc.add(rect({ x: r.x, y: r.y + 6, w: r.w, h: r.h }, '#0b3d1c', { rx: 18, opacity: 0.5 }));
    doc.add(rect(r, '#f4fce3', { rx: 18, stroke: '#ffffff', sw: 3 }));
    doc.add(text(`OFFER ${i + 1}`, r.x + 20, r.y + 14, 16, '#2b8a3e', { anchor: 'start' }));
    offer.cards.forEach((card, k) => {
      doc.add(cardFace({ x: r.x + 16 + k * 72, y: r.y + 44, w: 64, h: 106 }, card));
    });
    const pill = { x: r.x + r.w - 110, y: r.y + r.h / 2 - 26, w: 96, h: 52 };
    doc.add(rect(pill, '#2f9e44', { rx: 26 }));
    doc.add(text('PICK', pill.x + pill.w / 2, pill.y + 16, 20, '#ffffff'));
  });
}

/** Where card `k` of the shuffle is at animation frame `f` (centre coordinates). */
function shufflePosition(k: number, f: number): { x: number; y: number } {
  const slot = LAYOUT.wonderPickCards.cards[k];
  const sx = slot.x + slot.w / 2;
  const sy = slot.y + slot.h / 2;
  const t = Math.min(f, SHUFFLE_FRAMES) / SHUFFLE_FRAMES;
  const spread = Math.abs(Math.cos(Math.PI * t));
  const a = (k * 2 * Math.PI) / 5 + 2 * Math.PI * t;
  const ox = 270 + 110 * Math.cos(a);
  const oy = 420 + 110 * Math.sin(a);
  return { x: sx * spread + ox * (1 - spread), y: sy * spread + oy * (1 - spread) };
}

function drawWonderPickCards(doc: SvgDoc, frame: number): void {
  background(doc, '#2b8a3e', '#0f3d1e');
  header(doc, 'WONDER PICK', '#237a35');
  const f = Math.min(frame, SHUFFLE_FRAMES);
  for (let k = 0; k < 5; k++) {
    const slot = LAYOUT.wonderPickCards.cards[k];
    const c = shufflePosition(k, f);
    doc.add(cardBack({ x: c.x - slot.w / 2, y: c.y - slot.h / 2, w: slot.w, h: slot.h }));
  }
  const h = LAYOUT.wonderPickCards.hint;
  if (f >= SHUFFLE_FRAMES) {
    doc.add(rect(h, '#000000', { rx: h.h / 2, opacity: 0.35 }));
    doc.add(text('CHOOSE ONE', h.x + h.w / 2, h.y + h.h / 2 - 12, 24, '#ffffff'));
  }
}

function drawWonderPickResult(doc: SvgDoc, view: GameView): void {
  background(doc, '#2f9e44', '#14532d');
  header(doc, 'YOU GOT', '#237a35');
  const r = LAYOUT.wonderPickResult.card;
  doc.add(`<circle cx="${r.x + r.w / 2}" cy="${r.y + r.h / 2}" r="210" fill="${doc.glow('#fff3bf')}"/>`);
  if (view.picked) {
    doc.add(cardFace(r, view.picked));
  }
  doc.add(button(LAYOUT.wonderPickResult.ok, '#1971c2', 'OK'));
}

function drawMissions(doc: SvgDoc, view: GameView): void {
  background(doc, '#e67700', '#7a3e00');
  header(doc, 'MISSIONS', '#b35c00');
  view.missions.forEach((m, i) => {
    const r = LAYOUT.missions.rows[i];
    if (!r) {
      return;
    }
    doc.add(rect(r, '#fff4e6', { rx: 16, stroke: '#ffffff', sw: 3 }));
    doc.add(text(m.title, r.x + 20, r.y + 28, 20, '#7a3e00', { anchor: 'start', maxWidth: 310 }));
    doc.add(hourglass(r.x + 36, r.y + 90, 36));
    doc.add(text(`+${m.reward}`, r.x + 62, r.y + 80, 20, '#b35c00', { anchor: 'start' }));
    doc.add(button(LAYOUT.missions.claims[i], '#2f9e44', m.claimed ? 'CLAIMED' : 'CLAIM', { disabled: m.claimed, labelSize: 20 }));
  });
}

function overlay(doc: SvgDoc): void {
  doc.add(rect(FULL, '#000000', { opacity: 0.55 }));
}

function box(doc: SvgDoc, r: Rect, title: Rect, label: string, color: string): void {
  doc.add(rect({ x: r.x + 4, y: r.y + 8, w: r.w, h: r.h }, '#000000', { rx: 20, opacity: 0.35 }));
  doc.add(rect(r, '#f8f9fa', { rx: 20, stroke: '#ffffff', sw: 3 }));
  doc.add(`<path d="M${title.x} ${title.y + title.h}V${title.y + 20}A20 20 0 0 1 ${title.x + 20} ${title.y}H${title.x + title.w - 20}A20 20 0 0 1 ${title.x + title.w} ${title.y + 20}V${title.y + title.h}Z" fill="${color}"/>`);
  doc.add(text(label, title.x + title.w / 2, title.y + title.h / 2 - 13, 26, '#ffffff', { maxWidth: title.w - 110, outline: shade(color, 0.5) }));
}

function lines(doc: SvgDoc, ls: string[], top: number, size = 18): void {
  ls.forEach((l, i) => doc.add(text(l, 270, top + i * (size + 14), size, '#343a40', { maxWidth: 400 })));
}

function drawDialog(doc: SvgDoc, kind: DialogKind): void {
  overlay(doc);
  const b = LAYOUT.dialog.box;
  switch (kind) {
    case 'noAccount':
      box(doc, b, LAYOUT.dialog.noAccount.title, 'NO ACCOUNT', '#c92a2a');
      lines(doc, ['NO VALID ACCOUNT FILE', 'ON THIS DEVICE'], b.y + 100);
      doc.add(button(LAYOUT.dialog.noAccount.ok, '#1971c2', 'OK'));
      break;
    case 'premiumRequired':
      box(doc, b, LAYOUT.dialog.premiumRequired.title, 'PREMIUM PASS REQUIRED', '#b7791f');
      lines(doc, ['THIS PACK NEEDS', 'A PREMIUM PASS'], b.y + 100);
      doc.add(button(LAYOUT.dialog.premiumRequired.ok, '#1971c2', 'OK'));
      break;
    case 'quit':
      box(doc, b, LAYOUT.dialog.quit.title, 'QUIT?', '#495057');
      lines(doc, ['QUIT POCKET PACKS?'], b.y + 110);
      doc.add(button(LAYOUT.dialog.quit.ok, '#e03131', 'OK'));
      doc.add(button(LAYOUT.dialog.quit.cancel, '#5c7cfa', 'CANCEL'));
      break;
  }
}

function drawPopup(doc: SvgDoc, kind: PopupKind): void {
  overlay(doc);
  const b = LAYOUT.popup.box;
  switch (kind) {
    case 'daily': {
      box(doc, b, LAYOUT.popup.daily.title, 'DAILY REWARD', '#f59f00');
      const i = LAYOUT.popup.daily.icon;
      doc.add(giftIcon(i.x + i.w / 2, i.y + i.h / 2, i.h * 0.9));
      lines(doc, ['LOGIN BONUS RECEIVED'], 530);
      doc.add(button(LAYOUT.popup.daily.ok, '#2f9e44', 'OK'));
      break;
    }
    case 'notice':
      box(doc, b, LAYOUT.popup.notice.title, 'NOTICE', '#1c7ed6');
      lines(doc, ['MAINTENANCE', 'SUNDAY 02:00 - 04:00', 'THANK YOU FOR PLAYING'], 400, 20);
      doc.add(`<path d="M90 560H450" stroke="#ced4da" stroke-width="2"/>`);
      lines(doc, ['TAP X TO CLOSE'], 600, 14);
      doc.add(closeButton(LAYOUT.popup.notice.close));
      break;
    case 'error': {
      box(doc, b, LAYOUT.popup.error.title, 'CONNECTION ERROR', '#e03131');
      const i = LAYOUT.popup.error.icon;
      doc.add(warningIcon(i.x + i.w / 2, i.y + i.h / 2, i.h * 0.85));
      lines(doc, ['PLEASE TRY AGAIN'], 520);
      doc.add(button(LAYOUT.popup.error.retry, '#1971c2', 'RETRY'));
      break;
    }
  }
}
