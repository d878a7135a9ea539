/** The few DOM helpers the views share. Text is only written when it changed, so nothing relayouts for nothing. */

export function h(tag: string, className: string): HTMLElement {
  const el = document.createElement(tag);
  el.className = className;
  return el;
}

export function cell(className: string, ...children: HTMLElement[]): HTMLElement {
  const el = h('div', className);
  el.append(...children);
  return el;
}

export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
