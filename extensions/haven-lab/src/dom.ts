/** Small helpers for building accessible DOM without a framework. */

let counter = 0;

/** A document-unique id, so that labels and regions can point at their fields. */
export function uniqueId(stem: string): string {
  counter += 1;
  return `haven-${stem}-${counter}`;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'text') {
      node.textContent = value;
    } else {
      node.setAttribute(name, value);
    }
  }
  for (const child of children) {
    node.append(child);
  }
  return node;
}

/** A labelled field: the label's `for` names the control, so screen readers announce it. */
export function labelled<T extends HTMLElement>(
  label: string,
  control: T,
  hint?: string
): { row: HTMLElement; control: T } {
  const id = uniqueId('field');
  control.id = id;
  const row = el('div', { class: 'haven-field' });
  row.append(el('label', { for: id, text: label }));
  if (hint) {
    const hintId = uniqueId('hint');
    row.append(el('div', { id: hintId, class: 'haven-hint', text: hint }));
    control.setAttribute('aria-describedby', hintId);
  }
  row.append(control);
  return { row, control };
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return isNaN(date.getTime()) ? iso : date.toLocaleString();
}
