// The zones of a venue as a toolbar of buttons "Zone 1" ..., each with its price and free
// seats: one tab stop (the chosen zone), the arrow keys, Home and End move between zones,
// so the seat map after it is one Tab away however many zones the venue has.

import { h } from '../dom';
import type { ZoneInfo } from '../types';

export interface ZonePicker {
  element: HTMLElement;
  /** Marks `zoneId` as the chosen zone (pressed, and the toolbar's tab stop). */
  choose(zoneId: number): void;
  /** Shows how many seats of `zoneId` are free. */
  setFree(zoneId: number, free: number): void;
}

export function zonePicker(zones: ZoneInfo[], onChoose: (zoneId: number) => void): ZonePicker {
  const element = h('div', { class: 'zones', role: 'toolbar', 'aria-label': 'Zones' });
  const buttons = new Map<number, { button: HTMLButtonElement; detail: HTMLElement; price: string }>();
  for (const zone of zones) {
    const detailId = `zone-${zone.zoneId}-detail`;
    const detail = h('span', { id: detailId, class: 'zone-detail' }, `${zone.ticketPrice} · ${zone.capacity} free`);
    const button = h(
      'button',
      { type: 'button', class: 'zone', 'aria-label': `Zone ${zone.zoneId}`, 'aria-describedby': detailId, tabindex: -1 },
      h('span', { class: 'zone-name', 'aria-hidden': 'true' }, `Zone ${zone.zoneId}`),
      detail,
    );
    button.addEventListener('click', () => onChoose(zone.zoneId));
    buttons.set(zone.zoneId, { button, detail, price: zone.ticketPrice });
    element.append(button);
  }
  const all = [...buttons.values()].map((z) => z.button);
  element.addEventListener('keydown', (e) => {
    const at = all.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const moves: Record<string, number> = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: all.length - 1 };
    const next = moves[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const target = all[Math.min(Math.max(next, 0), all.length - 1)];
    for (const b of all) b.tabIndex = b === target ? 0 : -1;
    target?.focus();
  });
  return {
    element,
    choose(zoneId) {
      for (const [id, { button }] of buttons) {
        button.setAttribute('aria-pressed', String(id === zoneId));
        button.tabIndex = id === zoneId ? 0 : -1;
      }
    },
    setFree(zoneId, free) {
      const zone = buttons.get(zoneId);
      if (zone) zone.detail.textContent = `${zone.price} · ${free === 0 ? 'sold out' : `${free} free`}`;
    },
  };
}
