import { describe, expect, it } from 'vitest';
import { zoneModel } from '../src/seatmap/state';
import { SeatMapView } from '../src/seatmap/view';
import type { SeatRef } from '../src/types';

const model = zoneModel({
  eventId: 'Event1',
  zoneId: 1,
  sold: 1,
  held: 0,
  free: 5,
  rows: [
    { row: 'A', seats: ['free', 'sold', 'free'] },
    { row: 'B', seats: ['free', 'free', 'free'] },
  ],
});

function mount(): { view: SeatMapView; toggled: SeatRef[] } {
  const toggled: SeatRef[] = [];
  const view = new SeatMapView({ toggle: (seat) => toggled.push(seat) });
  document.body.replaceChildren(view.element);
  view.render(model, { selected: new Set(), mine: new Set() });
  return { view, toggled };
}

const seat = (name: string): SVGRectElement => {
  const found = document.querySelector<SVGRectElement>(`[aria-label="${name}"]`);
  if (!found) throw new Error(`no seat ${name}`);
  return found;
};

const key = (el: Element, k: string): void => {
  el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
};

describe('the seat map view', () => {
  it('draws one named button per seat, unavailable ones disabled with a tooltip', () => {
    mount();
    const seats = document.querySelectorAll('[role="button"]');
    expect(seats).toHaveLength(6);
    expect(seat('Zone 1 row A seat 2').getAttribute('aria-disabled')).toBe('true');
    expect(seat('Zone 1 row A seat 2').querySelector('title')?.textContent).toBe('sold');
    expect(seat('Zone 1 row A seat 1').getAttribute('aria-pressed')).toBe('false');
  });

  it('is one tab stop, and the arrow keys move it; Enter selects', () => {
    const { toggled } = mount();
    const stops = () => [...document.querySelectorAll('[tabindex="0"]')].map((e) => e.getAttribute('aria-label'));
    expect(stops()).toEqual(['Zone 1 row A seat 1']);
    key(seat('Zone 1 row A seat 1'), 'ArrowDown');
    key(seat('Zone 1 row B seat 1'), 'ArrowRight');
    expect(stops()).toEqual(['Zone 1 row B seat 2']);
    key(seat('Zone 1 row B seat 2'), 'Enter');
    key(seat('Zone 1 row B seat 2'), 'ArrowUp');
    key(seat('Zone 1 row A seat 2'), ' ');
    expect(toggled).toEqual([{ zoneId: 1, row: 'B', column: 2 }]);
  });

  it('repaints only what changed when a new report arrives', () => {
    const { view } = mount();
    const before = seat('Zone 1 row B seat 3');
    const next = zoneModel({ ...model, zoneId: 1, rows: [{ row: 'A', seats: ['free', 'sold', 'free'] }, { row: 'B', seats: ['free', 'free', 'held'] }] } as never);
    view.update(next, { selected: new Set(['1:B:1']), mine: new Set() });
    expect(seat('Zone 1 row B seat 3')).toBe(before);
    expect(before.getAttribute('class')).toBe('seat held');
    expect(seat('Zone 1 row B seat 1').getAttribute('aria-pressed')).toBe('true');
  });
});
