/** One group's card, as in the seed's mock-up: name and state, description, routine, pool, instances, buttons; tiles while it runs. */
import type { BotRef, GroupAction } from '../shared/monitorProtocol';
import { h, replaceChildren, setAttr, setHidden, setText, uid } from './dom';
import type { BotTile, GroupCard } from './model/monitorModel';
import { TileView, type TileContext } from './tileView';

export interface CardContext extends TileContext {
  command(group: string, action: GroupAction): void;
  openRoutine(routine: { name: string; file?: string }): void;
  toggle(group: string): void;
  tileAdded(tile: TileView): void;
  tileRemoved(tile: TileView): void;
}

export class CardView {
  readonly el: HTMLElement;
  private readonly toggleBtn: HTMLButtonElement;
  private readonly titleText: HTMLElement;
  private readonly status: HTMLElement;
  private readonly body: HTMLElement;
  private readonly desc: HTMLElement;
  private readonly routineRow: HTMLElement;
  private readonly routineLink: HTMLButtonElement;
  private readonly poolRow: HTMLElement;
  private readonly poolText: HTMLElement;
  private readonly instances: HTMLElement;
  private readonly notes: HTMLElement;
  private readonly problems: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly tilesEl: HTMLElement;
  private readonly tilesHint: HTMLElement;
  private readonly buttons = new Map<GroupAction, HTMLElement>();
  readonly tiles = new Map<string, TileView>();
  private card: GroupCard | undefined;
  private notesKey = '';
  private problemsKey = '';

  constructor(
    readonly name: string,
    private readonly ctx: CardContext,
  ) {
    const bodyId = uid('card-body');
    const titleId = uid('card-title');
    this.titleText = h('span', { class: 'card-name', id: titleId });
    this.toggleBtn = h('button', { class: 'card-toggle', 'aria-expanded': 'true', 'aria-controls': bodyId, type: 'button' }, h('span', { class: 'chevron', 'aria-hidden': 'true' }), this.titleText);
    this.toggleBtn.addEventListener('click', () => this.ctx.toggle(this.name));
    this.status = h('span', { class: 'status' });
    this.desc = h('p', { class: 'card-desc' });
    this.routineLink = h('button', { class: 'link', type: 'button' });
    this.routineLink.addEventListener('click', () => {
      const r = this.card?.routine;
      if (r) {
        this.ctx.openRoutine(r);
      }
    });
    this.routineRow = h('div', { class: 'fact' }, h('span', { class: 'fact-key' }, 'Routine: '), this.routineLink);
    this.poolText = h('span');
    this.poolRow = h('div', { class: 'fact' }, h('span', { class: 'fact-key' }, 'Pool: '), this.poolText);
    this.instances = h('div', { class: 'fact' });
    this.notes = h('ul', { class: 'notes' });
    this.problems = h('ul', { class: 'problems' });
    this.actions = h('div', { class: 'actions', role: 'group', 'aria-label': `Actions of ${name}` });
    this.tilesEl = h('div', { class: 'tiles', role: 'list', 'aria-label': `Bots of ${name}` });
    this.tilesHint = h('p', { class: 'hint', hidden: true });
    this.body = h('div', { class: 'card-body', id: bodyId }, this.desc, this.routineRow, this.poolRow, this.instances, this.notes, this.problems, this.actions, this.tilesHint, this.tilesEl);
    this.el = h(
      'article',
      { class: 'card', 'aria-labelledby': titleId, 'data-group': name },
      h('header', { class: 'card-head' }, h('h2', { class: 'card-title' }, this.toggleBtn), this.status),
      this.body,
    );
  }

  update(card: GroupCard, collapsed: boolean, pending: ReadonlySet<GroupAction>): void {
    this.card = card;
    setText(this.titleText, card.name);
    setAttr(this.toggleBtn, 'title', card.file ? `${card.name} — ${card.file}` : card.name);
    setAttr(this.toggleBtn, 'aria-expanded', String(!collapsed));
    this.el.classList.toggle('collapsed', collapsed);
    this.el.classList.toggle('live', card.live);
    setHidden(this.body, collapsed);
    setText(this.status, `${card.status.symbol} ${card.status.label}`);
    this.status.className = `status tone-${card.status.tone}`;
    setAttr(this.status, 'data-state', card.status.state);

    setHidden(this.desc, !card.description);
    setText(this.desc, card.description ?? '');
    setHidden(this.routineRow, !card.routine);
    setText(this.routineLink, card.routine?.label ?? '');
    setAttr(this.routineLink, 'title', card.routine ? `Open ${card.routine.file ?? card.routine.name}` : undefined);
    setAttr(this.routineLink, 'aria-label', card.routine ? `Open routine ${card.routine.label}` : undefined);
    setHidden(this.poolRow, !card.pool);
    setText(this.poolText, card.pool?.label ?? '');
    setAttr(this.poolText, 'title', card.pool?.name);
    this.poolText.classList.toggle('tone-warn', card.pool !== undefined && !card.pool.known);
    setText(this.instances, card.instancesLine);
    setAttr(this.instances, 'title', card.instancesTitle);

    const notesKey = JSON.stringify(card.notes);
    if (notesKey !== this.notesKey) {
      this.notesKey = notesKey;
      replaceChildren(this.notes, ...card.notes.map((n) => h('li', { class: n.tone ? `tone-${n.tone}` : undefined }, n.text)));
      setHidden(this.notes, card.notes.length === 0);
    }
    const problemsKey = JSON.stringify(card.problems);
    if (problemsKey !== this.problemsKey) {
      this.problemsKey = problemsKey;
      replaceChildren(
        this.problems,
        ...card.problems.slice(0, 5).map((d) => h('li', { class: d.severity === 'error' ? 'tone-error' : 'tone-warn' }, `${d.file}:${d.line}:${d.col}: ${d.message}`)),
        card.problems.length > 5 ? h('li', {}, `and ${card.problems.length - 5} more`) : null,
      );
      setHidden(this.problems, card.problems.length === 0);
    }

    this.updateButtons(card, pending);
    this.updateTiles(card.live && !collapsed ? card.tiles : []);
    setHidden(this.tilesHint, !(card.live && card.tiles.length === 0));
    setText(this.tilesHint, 'Waiting for a free instance — the bots appear here when they start.');
  }

  private updateButtons(card: GroupCard, pending: ReadonlySet<GroupAction>): void {
    const wanted = card.buttons.map((b) => b.action);
    for (const [action, el] of this.buttons) {
      if (!wanted.includes(action)) {
        el.remove();
        this.buttons.delete(action);
      }
    }
    card.buttons.forEach((b, i) => {
      let el = this.buttons.get(b.action);
      if (!el) {
        el = h('vscode-button', { 'data-action': b.action });
        const action = b.action;
        el.addEventListener('click', () => {
          if (!el!.hasAttribute('disabled')) {
            this.ctx.command(this.name, action);
          }
        });
        this.buttons.set(b.action, el);
      }
      if (this.actions.children[i] !== el) {
        this.actions.insertBefore(el, this.actions.children[i] ?? null);
      }
      const busy = pending.has(b.action);
      setText(el, busy ? `${b.label}…` : b.label);
      setAttr(el, 'secondary', !b.primary);
      setAttr(el, 'disabled', Boolean(b.disabled) || busy);
      setAttr(el, 'aria-disabled', Boolean(b.disabled) || busy ? 'true' : undefined);
      setAttr(el, 'title', b.title);
      setAttr(el, 'aria-label', `${b.label} ${this.name}`);
    });
  }

  private updateTiles(tiles: readonly BotTile[]): void {
    const keep = new Set(tiles.map((t) => t.key));
    for (const [k, v] of this.tiles) {
      if (!keep.has(k)) {
        this.ctx.tileRemoved(v);
        v.dispose();
        this.tiles.delete(k);
      }
    }
    tiles.forEach((t, i) => {
      let v = this.tiles.get(t.key);
      if (!v) {
        v = new TileView(t, this.ctx);
        this.tiles.set(t.key, v);
        this.ctx.tileAdded(v);
      } else {
        v.update(t);
      }
      if (this.tilesEl.children[i] !== v.el) {
        this.tilesEl.insertBefore(v.el, this.tilesEl.children[i] ?? null);
      }
    });
  }

  tile(ref: BotRef): TileView | undefined {
    for (const t of this.tiles.values()) {
      if (t.ref.instance === ref.instance) {
        return t;
      }
    }
    return undefined;
  }

  /** Focus the card's first control (after a reload or a zoom closes). */
  focus(): void {
    this.toggleBtn.focus();
  }

  dispose(): void {
    for (const t of this.tiles.values()) {
      this.ctx.tileRemoved(t);
      t.dispose();
    }
    this.tiles.clear();
    this.el.remove();
  }
}
