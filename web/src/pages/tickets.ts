// My tickets (`/me/tickets`): the signed-in buyer's tickets, newest first, a page at a time,
// from the read model (a ticket shows here once the SQL consumer has stored it).

import { get } from '../api';
import { h, replace } from '../dom';
import type { PageContext } from '../router';
import { seatName } from '../seatmap/state';
import { session } from '../session';
import type { EventView, Page, Ticket } from '../types';
import { aborted, alertBox, dateText, pageHeading, statusBox } from '../ui';

const PAGE_SIZE = 20;

/** Sign in first: a message with the way there and back. */
export function signInFirst(ctx: PageContext, what: string): HTMLElement {
  const next = encodeURIComponent(`${ctx.url.pathname}${ctx.url.search}`);
  return h('p', { class: 'message' }, `Sign in to ${what}. `, h('a', { href: `/signin?next=${next}` }, 'Sign in'));
}

export async function myTicketsPage(ctx: PageContext): Promise<void> {
  ctx.main.append(pageHeading('My tickets', ctx.title));
  if (!session.token()) {
    ctx.main.append(signInFirst(ctx, 'see your tickets'));
    return;
  }
  const names = new Map<string, Promise<string>>();
  const eventName = (id: string): Promise<string> => {
    let name = names.get(id);
    if (!name) {
      name = get<EventView>(`/api/v1/events/${encodeURIComponent(id)}`, ctx.signal)
        .then((e) => e.name)
        .catch(() => id);
      names.set(id, name);
    }
    return name;
  };
  const body = h('div', { class: 'tickets', 'aria-live': 'polite' });
  ctx.main.append(body);
  // The cursors of the pages seen so far, for "Previous page".
  const cursors: (string | undefined)[] = [undefined];

  const show = async (index: number): Promise<void> => {
    body.setAttribute('aria-busy', 'true');
    const cursor = cursors[index];
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await get<Page<Ticket>>(`/api/v1/me/tickets?${params}`, ctx.signal);
      cursors[index + 1] = page.nextCursor;
      if (page.items.length === 0 && index === 0) {
        replace(body, statusBox('No tickets yet. Tickets appear here a moment after the purchase.'), h('p', {}, h('a', { href: '/' }, 'Find an event')));
        return;
      }
      const rows = await Promise.all(
        page.items.map(async (t) =>
          h(
            'tr',
            {},
            h('td', {}, await eventName(t.eventId)),
            h('td', {}, seatName(t)),
            h('td', { class: 'num' }, t.price),
            h('td', {}, dateText(t.createdOn)),
            h('td', {}, h('code', { class: 'ticket-id' }, t.ticketId)),
          ),
        ),
      );
      const previous = h('button', { type: 'button', disabled: index === 0 }, 'Previous page');
      const next = h('button', { type: 'button', disabled: !page.nextCursor }, 'Next page');
      previous.addEventListener('click', () => void show(index - 1));
      next.addEventListener('click', () => void show(index + 1));
      replace(
        body,
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'ticket-table' },
            h('caption', { class: 'visually-hidden' }, `Your tickets, newest first, page ${index + 1}`),
            h('thead', {}, h('tr', {}, ...['Event', 'Seat', 'Price', 'Bought', 'Ticket'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, ...rows),
          ),
        ),
        h('nav', { class: 'pager', 'aria-label': 'Pages' }, previous, h('span', {}, `Page ${index + 1}`), next),
      );
    } catch (error) {
      if (!aborted(error)) replace(body, alertBox(error));
    } finally {
      body.setAttribute('aria-busy', 'false');
    }
  };
  await show(0);
}
