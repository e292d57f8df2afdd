// The buyer's live hold on the event page: its seats and total, the countdown to its
// deadline, the card to pay with, "Pay" and "Release". A declined card keeps the hold (try
// another card); a hold that lapses, or that the API reports gone, frees the selection.

import { ApiError, request } from '../api';
import { formatRemaining, startCountdown } from '../countdown';
import { h, replace, announce } from '../dom';
import { seatName } from '../seatmap/state';
import type { Hold, Order } from '../types';
import { alertBox, statusBox } from '../ui';

/** The simulated gateway's test cards (Stripe's test tokens). */
export const CARDS = [
  { token: 'tok_visa', label: 'Visa (succeeds)' },
  { token: 'tok_chargeDeclined', label: 'Declined card' },
  { token: 'tok_chargeDeclinedProcessingError', label: 'Processing error' },
] as const;

/** What became of a hold, for the page to redraw. */
export type HoldEnd = { kind: 'sold'; order: Order } | { kind: 'released' } | { kind: 'expired'; message: string };

/**
 * What a failed checkout means for the hold: `keep` it (declined card, gateway outage, a
 * fault worth retrying) or it is `gone` (lapsed, released elsewhere).
 */
export function checkoutFailure(error: unknown): 'keep' | 'gone' {
  if (error instanceof ApiError && (error.status === 410 || error.status === 404)) return 'gone';
  return 'keep';
}

/** Draws `hold` into a panel and runs it until it ends; `ended` is called once. */
export function holdPanel(hold: Hold, ended: (end: HoldEnd) => void, signal: AbortSignal): HTMLElement {
  const remaining = h('span', { class: 'remaining' }, '');
  const timer = h('p', { class: 'countdown', role: 'timer', 'aria-live': 'off' }, 'expires in ', remaining);
  const card = h('select', { id: 'card', name: 'card' }, ...CARDS.map((c) => h('option', { value: c.token }, c.label)));
  const pay = h('button', { type: 'submit', class: 'primary' }, 'Pay');
  const release = h('button', { type: 'button', class: 'secondary' }, 'Release');
  const message = h('div', { class: 'form-message' });
  const form = h(
    'form',
    { class: 'pay', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: card.id }, 'Card'), card),
    h('div', { class: 'actions' }, pay, release),
  );
  const panel = h(
    'section',
    { class: 'panel hold', 'aria-labelledby': 'hold-heading' },
    h('h2', { id: 'hold-heading' }, 'Your seats are held'),
    timer,
    h('ul', { class: 'seat-list' }, ...hold.seats.map((seat) => h('li', {}, h('span', {}, seatName(seat)), h('span', { class: 'price' }, seat.price)))),
    h('p', { class: 'total' }, 'Total ', h('strong', {}, hold.total)),
    form,
    message,
  );

  let done = false;
  const finish = (end: HoldEnd): void => {
    if (done) return;
    done = true;
    stop();
    ended(end);
  };
  const stop = startCountdown(
    hold.expiresAt,
    (ms) => {
      remaining.textContent = formatRemaining(ms);
    },
    () => finish({ kind: 'expired', message: 'Your hold expired and the seats were released. Select seats to try again.' }),
  );
  signal.addEventListener('abort', stop, { once: true });

  const busy = (on: boolean): void => {
    pay.disabled = on;
    release.disabled = on;
    panel.setAttribute('aria-busy', String(on));
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    busy(true);
    message.replaceChildren(statusBox('Paying…'));
    try {
      const order = await request<Order>('POST', `/api/v1/holds/${encodeURIComponent(hold.holdId)}/checkout`, {
        body: { paymentToken: card.value },
        // The same hold and card is the same payment: a repeat answers what the first got.
        idempotencyKey: `${hold.holdId}:${card.value}`,
      });
      finish({ kind: 'sold', order });
    } catch (error) {
      if (checkoutFailure(error) === 'gone') {
        finish({ kind: 'expired', message: error instanceof ApiError ? error.message : 'Your hold is gone.' });
        return;
      }
      const kept = error instanceof ApiError && error.status === 402 ? ' Your seats are still held: try another card.' : '';
      replace(message, alertBox(error), kept && h('p', { class: 'hint' }, kept.trim()));
      announce(`Payment failed.${kept}`);
    } finally {
      if (!done) busy(false);
    }
  });

  release.addEventListener('click', async () => {
    busy(true);
    try {
      await request('DELETE', `/api/v1/holds/${encodeURIComponent(hold.holdId)}`);
      finish({ kind: 'released' });
    } catch (error) {
      if (checkoutFailure(error) === 'gone') finish({ kind: 'released' });
      else replace(message, alertBox(error));
    } finally {
      if (!done) busy(false);
    }
  });
  return panel;
}

/** The confirmation of a paid order, with its tickets. */
export function orderPanel(order: Order): HTMLElement {
  return h(
    'section',
    { class: 'panel order', 'aria-labelledby': 'order-heading' },
    h('h2', { id: 'order-heading', tabindex: '-1' }, 'Order confirmed'),
    h('p', {}, `Order ${order.orderId}, total ${order.total}.`),
    h(
      'ul',
      { class: 'seat-list' },
      ...order.tickets.map((t) => h('li', {}, h('span', {}, seatName(t)), h('span', { class: 'price' }, t.price), h('code', { class: 'ticket-id' }, t.ticketId))),
    ),
    h('p', {}, h('a', { href: '/me/tickets' }, 'See my tickets')),
  );
}
