// The buyer's selection beside the seat map: the seats chosen with their prices and total,
// "Hold seats" and "Clear selection".

import { h } from '../dom';
import { cents, formatCents } from '../money';
import { seatName } from '../seatmap/state';
import type { SeatRef } from '../types';

export interface SelectionView {
  seats: SeatRef[];
  /** The price of a seat of each zone. */
  price: Map<number, string>;
  /** A message above the list, e.g. that a seat was just taken. */
  note?: HTMLElement;
  hold: () => void;
  clear: () => void;
}

export function selectionPanel(view: SelectionView): HTMLElement {
  const { seats, price } = view;
  const total = formatCents(seats.reduce((sum, s) => sum + cents(price.get(s.zoneId) ?? '0'), 0));
  const hold = h('button', { type: 'button', class: 'primary', disabled: seats.length === 0 }, 'Hold seats');
  hold.addEventListener('click', view.hold);
  const clear = h('button', { type: 'button', class: 'secondary', disabled: seats.length === 0 }, 'Clear selection');
  clear.addEventListener('click', view.clear);
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'selection-heading' },
    h('h2', { id: 'selection-heading' }, 'Your selection'),
    view.note,
    seats.length === 0
      ? h('p', { class: 'hint' }, 'Select free seats on the map: click them, or tab into the map, move with the arrow keys and press Enter.')
      : h('ul', { class: 'seat-list' }, ...seats.map((s) => h('li', {}, h('span', {}, seatName(s)), h('span', { class: 'price' }, price.get(s.zoneId) ?? '')))),
    seats.length > 0 && h('p', { class: 'total' }, 'Total ', h('strong', {}, total)),
    h('div', { class: 'actions' }, hold, clear),
  );
}
