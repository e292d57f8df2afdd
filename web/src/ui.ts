// Pieces every page uses: messages, labelled fields with their error, dates.

import { ApiError } from './api';
import { h } from './dom';

/** A message about an error: role=alert, so it is read out when it appears. */
export function alertBox(error: unknown): HTMLElement {
  return h('p', { class: 'message error', role: 'alert' }, messageOf(error));
}

/** A neutral message, read out politely. */
export function statusBox(text: string, extra = ''): HTMLElement {
  return h('p', { class: `message ${extra}`.trim(), role: 'status' }, text);
}

/** The sentence to show for anything thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong in this page; please reload it.';
}

/** Whether `error` is the abort of a page the buyer left. */
export function aborted(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** A labelled input with a slot for its error, tied together for screen readers. */
export interface Field {
  wrapper: HTMLElement;
  input: HTMLInputElement;
  error: HTMLElement;
}

export function field(name: string, label: string, attrs: Record<string, string | boolean>): Field {
  const id = `field-${name}`;
  const errorId = `${id}-error`;
  const input = h('input', { id, name, ...attrs, 'aria-describedby': errorId });
  const error = h('p', { id: errorId, class: 'field-error' });
  const wrapper = h('div', { class: 'field' }, h('label', { for: id }, label), input, error);
  return { wrapper, input, error };
}

/**
 * Shows `error` beside the field it names (focusing that field), or in `general` when it
 * names none of `fields`. Clears the errors shown before.
 */
export function showError(error: unknown, fields: Record<string, Field>, general: HTMLElement): void {
  clearErrors(fields, general);
  const target = error instanceof ApiError && error.field ? fields[error.field] : undefined;
  if (target) {
    target.error.textContent = messageOf(error);
    target.input.setAttribute('aria-invalid', 'true');
    target.input.focus();
    return;
  }
  general.replaceChildren(alertBox(error));
}

export function clearErrors(fields: Record<string, Field>, general: HTMLElement): void {
  for (const f of Object.values(fields)) {
    f.error.textContent = '';
    f.input.removeAttribute('aria-invalid');
  }
  general.replaceChildren();
}

const dateFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** An instant as the buyer's locale writes it, in a <time> element. */
export function dateText(iso: string): HTMLTimeElement {
  const date = new Date(iso);
  return h('time', { datetime: iso }, Number.isNaN(date.getTime()) ? iso : dateFormat.format(date));
}

/** A heading for the page, which is also the document's title. */
export function pageHeading(text: string, title: (t: string) => void): HTMLHeadingElement {
  title(text);
  return h('h1', {}, text);
}
