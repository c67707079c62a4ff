/**
 * A tiny element builder: no innerHTML and no style attributes, so a strict Content Security Policy (no
 * 'unsafe-inline') never blocks what the monitor renders. Styles set at run time go through the CSSOM.
 */
type Child = Node | string | null | undefined | false;

export interface Attrs {
  class?: string;
  id?: string;
  role?: string;
  title?: string;
  tabIndex?: number;
  hidden?: boolean;
  [attr: `aria-${string}`]: string | undefined;
  [attr: `data-${string}`]: string | undefined;
}

/** Creates an element with attributes and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs & Record<string, unknown>, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs & Record<string, unknown>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs & Record<string, unknown> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) {
      continue;
    }
    if (k === 'class') {
      el.className = String(v);
    } else if (k === 'tabIndex') {
      el.tabIndex = Number(v);
    } else if (k === 'hidden') {
      el.hidden = Boolean(v);
    } else if (k === 'style') {
      throw new Error('use the CSSOM (el.style) instead of a style attribute');
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) {
      continue;
    }
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Sets the text of an element only when it changed (no layout work for unchanged text). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) {
    el.textContent = text;
  }
}

/** Sets or removes an attribute only when it changed. */
export function setAttr(el: Element, name: string, value: string | undefined | null | boolean): void {
  if (value === undefined || value === null || value === false) {
    if (el.hasAttribute(name)) {
      el.removeAttribute(name);
    }
    return;
  }
  const v = value === true ? '' : value;
  if (el.getAttribute(name) !== v) {
    el.setAttribute(name, v);
  }
}

export function setHidden(el: HTMLElement, hidden: boolean): void {
  if (el.hidden !== hidden) {
    el.hidden = hidden;
  }
}

/** Replaces an element's children with the given ones. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

let nextId = 0;
/** A document-unique id for aria references. */
export function uid(prefix: string): string {
  nextId++;
  return `${prefix}-${nextId}`;
}
