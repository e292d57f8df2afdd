// Search (`/`): events by part of their name, type and dates. The filters live in the
// address (`/?q=tour&type=concert&from=2027-01-01`), so a search can be shared and the back
// button returns to it; results follow the typing, debounced.

import { get, query } from '../api';
import { h, replace } from '../dom';
import type { PageContext } from '../router';
import { replaceQuery } from '../router';
import type { EventView, Page } from '../types';
import { aborted, alertBox, dateText, pageHeading, statusBox } from '../ui';

/** The filters of a search, as they appear in the address. */
export interface Filters {
  q: string;
  type: string;
  from: string;
  to: string;
}

export function filtersFrom(search: URLSearchParams): Filters {
  return { q: search.get('q') ?? '', type: search.get('type') ?? '', from: search.get('from') ?? '', to: search.get('to') ?? '' };
}

/** The query string of `filters` (empty ones left out). */
export function filtersQuery(filters: Filters): string {
  return query({ q: filters.q.trim(), type: filters.type, from: filters.from, to: filters.to });
}

const PAGE_SIZE = 20;
const DEBOUNCE_MS = 250;

function result(event: EventView): HTMLElement {
  const left =
    event.seatsLeft === undefined
      ? null
      : event.seatsLeft === 0
        ? h('span', { class: 'badge soldout' }, 'Sold out')
        : h('span', { class: 'badge' }, `${event.seatsLeft.toLocaleString()} seats left`);
  return h(
    'li',
    { class: 'result panel' },
    h('a', { href: `/events/${encodeURIComponent(event.eventId)}`, class: 'result-name' }, event.name),
    h('p', { class: 'result-meta' }, h('span', {}, event.venueName), ' · ', dateText(event.date), ' · ', h('span', { class: 'type' }, event.type)),
    left,
  );
}

export async function searchPage(ctx: PageContext): Promise<void> {
  const initial = filtersFrom(ctx.url.searchParams);
  const input = (name: keyof Filters, type: string): HTMLInputElement =>
    h('input', { id: `search-${name}`, name, type, value: initial[name], autocomplete: 'off' });
  const q = input('q', 'search');
  const from = input('from', 'date');
  const to = input('to', 'date');
  const type = h(
    'select',
    { id: 'search-type', name: 'type' },
    h('option', { value: '' }, 'Any type'),
    initial.type && h('option', { value: initial.type, selected: true }, initial.type),
  );
  const results = h('div', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'false' });
  const form = h(
    'form',
    { class: 'search', role: 'search' },
    h('div', { class: 'field grow' }, h('label', { for: q.id }, 'Search events'), q),
    h('div', { class: 'field' }, h('label', { for: type.id }, 'Type'), type),
    h('div', { class: 'field' }, h('label', { for: from.id }, 'From'), from),
    h('div', { class: 'field' }, h('label', { for: to.id }, 'To'), to),
  );
  form.addEventListener('submit', (e) => e.preventDefault());
  ctx.main.append(pageHeading('Find an event', ctx.title), form, results);

  const filters = (): Filters => ({ q: q.value, type: type.value, from: from.value, to: to.value });
  let searching: AbortController | null = null;

  const load = async (cursor?: string): Promise<void> => {
    searching?.abort();
    const controller = new AbortController();
    searching = controller;
    ctx.signal.addEventListener('abort', () => controller.abort(), { once: true });
    const f = filters();
    const params = new URLSearchParams(filtersQuery(f));
    params.set('limit', String(PAGE_SIZE));
    if (cursor) params.set('cursor', cursor);
    results.setAttribute('aria-busy', 'true');
    try {
      const page = await get<Page<EventView>>(`/api/v1/events?${params}`, controller.signal);
      let list = results.querySelector('ol');
      if (!cursor || !list) {
        list = h('ol', { class: 'result-list', 'aria-label': 'Events' });
        replace(results, page.items.length === 0 ? statusBox('No event matches this search.') : list);
      }
      results.querySelector('.more')?.remove();
      list.append(...page.items.map(result));
      if (page.nextCursor) {
        const more = h('button', { type: 'button', class: 'more' }, 'More events');
        const next = page.nextCursor;
        more.addEventListener('click', () => void load(next));
        results.append(more);
      }
    } catch (error) {
      if (!aborted(error)) replace(results, alertBox(error));
    } finally {
      if (searching === controller) results.setAttribute('aria-busy', 'false');
    }
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const changed = (): void => {
    replaceQuery(filtersQuery(filters()));
    clearTimeout(timer);
    timer = setTimeout(() => void load(), DEBOUNCE_MS);
  };
  for (const el of [q, type, from, to]) el.addEventListener('input', changed);
  ctx.signal.addEventListener('abort', () => clearTimeout(timer));

  // The types to filter by: every type the catalog has (one small request; the catalog is
  // held in memory by the api).
  void get<Page<EventView>>('/api/v1/events?limit=1000', ctx.signal)
    .then((all) => {
      const types = [...new Set(all.items.map((e) => e.type))].filter((t) => t !== initial.type).sort();
      type.append(...types.map((t) => h('option', { value: t }, t)));
    })
    .catch(() => {
      // The search works without the list; a type in the address still filters.
    });
  await load();
}
