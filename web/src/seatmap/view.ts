// The seat map drawn in SVG: one <rect role="button"> per seat, named "Zone 1 row A seat 3".
// The map is one tab stop; the arrow keys move a roving tabindex between the seats (the
// WAI-ARIA grid pattern) and Enter or Space selects. Every state has its own pattern as well
// as its own colour (see the legend), so none is told by colour alone. A new report of the
// zone redraws only the seats whose state changed.

import { s } from '../dom';
import type { Cell, Choice, SeatView, ZoneModel } from './state';
import { moveFocus, seatAt, seatName, selectable, viewOf } from './state';
import type { SeatRef } from '../types';

const STRIDE = 22;
const SEAT = 18;
const LEFT = 30;
const TOP = 20;

/** The tooltip of a seat that cannot be selected, and the words the legend uses. */
export const VIEW_WORDS: Record<SeatView, string> = {
  free: 'free',
  selected: 'selected',
  mine: 'held by you',
  held: 'held',
  sold: 'sold',
};

/** The patterns every seat and legend swatch is filled with, once per document. */
function patterns(): SVGDefsElement {
  const box = { patternUnits: 'objectBoundingBox', patternContentUnits: 'objectBoundingBox', width: 1, height: 1 };
  return s(
    'defs',
    {},
    s('pattern', { id: 'seat-sold', ...box }, s('rect', { class: 'bg', width: 1, height: 1 }), s('path', { class: 'mark', d: 'M.25 .25L.75 .75M.75 .25L.25 .75' })),
    s('pattern', { id: 'seat-held', ...box }, s('rect', { class: 'bg', width: 1, height: 1 }), s('path', { class: 'mark', d: 'M0 .5L.5 0M0 1L1 0M.5 1L1 .5' })),
    s('pattern', { id: 'seat-selected', ...box }, s('rect', { class: 'bg', width: 1, height: 1 }), s('path', { class: 'mark', d: 'M.22 .52L.42 .72L.78 .3' })),
    s('pattern', { id: 'seat-mine', ...box }, s('rect', { class: 'bg', width: 1, height: 1 }), s('circle', { class: 'mark', cx: 0.5, cy: 0.5, r: 0.18 })),
  );
}

/** A small swatch of a seat state, for the legend. */
export function swatch(view: SeatView): SVGSVGElement {
  return s(
    'svg',
    { class: 'swatch', viewBox: '0 0 18 18', width: 18, height: 18, 'aria-hidden': 'true', focusable: 'false' },
    s('rect', { class: `seat ${view}`, x: 1, y: 1, width: 16, height: 16, rx: 3 }),
  );
}

export interface SeatMapOptions {
  /** The buyer selected or unselected a seat. */
  toggle: (seat: SeatRef) => void;
}

export class SeatMapView {
  readonly element: SVGSVGElement;
  private model: ZoneModel | null = null;
  private seats: SVGRectElement[][] = [];
  private titles: SVGTitleElement[][] = [];
  private views: SeatView[][] = [];
  private focus: Cell = { r: 0, c: 0 };

  constructor(private readonly options: SeatMapOptions) {
    this.element = s('svg', { class: 'seatmap', role: 'group', focusable: 'false' });
    this.element.addEventListener('click', (e) => this.onClick(e));
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.element.addEventListener('focusin', (e) => {
      const cell = this.cellOf(e.target);
      if (cell) this.setFocus(cell, false);
    });
  }

  /** Draws `model` from scratch (a new zone). Returns the time it took, in ms. */
  render(model: ZoneModel, choice: Choice): number {
    const started = performance.now();
    this.model = model;
    const rows = model.rows.length;
    const width = LEFT + model.cols * STRIDE;
    const height = TOP + rows * STRIDE;
    this.element.setAttribute('viewBox', `0 0 ${width} ${height}`);
    this.element.setAttribute('aria-label', `Seats of zone ${model.zoneId}`);
    const fragment = document.createDocumentFragment();
    fragment.append(patterns());
    for (let c = 0; c < model.cols; c++) {
      if (c === 0 || (c + 1) % 5 === 0) {
        fragment.append(s('text', { class: 'label', x: LEFT + c * STRIDE + SEAT / 2, y: TOP - 6, 'text-anchor': 'middle', 'aria-hidden': 'true' }, String(c + 1)));
      }
    }
    this.seats = [];
    this.titles = [];
    this.views = [];
    this.focus = { r: Math.min(this.focus.r, rows - 1), c: Math.min(this.focus.c, model.cols - 1) };
    model.rows.forEach((label, r) => {
      fragment.append(s('text', { class: 'label', x: LEFT - 8, y: TOP + r * STRIDE + SEAT / 2 + 4, 'text-anchor': 'end', 'aria-hidden': 'true' }, label));
      const rowSeats: SVGRectElement[] = [];
      const rowTitles: SVGTitleElement[] = [];
      const rowViews: SeatView[] = [];
      for (let c = 0; c < model.cols; c++) {
        const title = s('title');
        const seat = s('rect', {
          class: 'seat',
          x: LEFT + c * STRIDE,
          y: TOP + r * STRIDE,
          width: SEAT,
          height: SEAT,
          rx: 3,
          role: 'button',
          'data-r': r,
          'data-c': c,
          'aria-label': seatName(seatAt(model, r, c)),
          tabindex: r === this.focus.r && c === this.focus.c ? 0 : -1,
        }, title);
        const view = viewOf(model, r, c, choice);
        this.paint(seat, title, view);
        rowSeats.push(seat);
        rowTitles.push(title);
        rowViews.push(view);
        fragment.append(seat);
      }
      this.seats.push(rowSeats);
      this.titles.push(rowTitles);
      this.views.push(rowViews);
    });
    this.element.replaceChildren(fragment);
    return performance.now() - started;
  }

  /** Shows a new report of the same zone, or a new choice: only changed seats are touched. */
  update(model: ZoneModel, choice: Choice): void {
    if (!this.model || this.model.zoneId !== model.zoneId || this.model.rows.length !== model.rows.length || this.model.cols !== model.cols) {
      this.render(model, choice);
      return;
    }
    this.model = model;
    this.views.forEach((row, r) => {
      row.forEach((before, c) => {
        const view = viewOf(model, r, c, choice);
        if (view === before) return;
        row[c] = view;
        const seat = this.seats[r]?.[c];
        const title = this.titles[r]?.[c];
        if (seat && title) this.paint(seat, title, view);
      });
    });
  }

  /** Moves the keyboard focus into the map, on its current seat. */
  focusMap(): void {
    this.seats[this.focus.r]?.[this.focus.c]?.focus();
  }

  private paint(seat: SVGRectElement, title: SVGTitleElement, view: SeatView): void {
    seat.setAttribute('class', `seat ${view}`);
    seat.setAttribute('aria-pressed', String(view === 'selected'));
    if (selectable(view)) seat.removeAttribute('aria-disabled');
    else seat.setAttribute('aria-disabled', 'true');
    title.textContent = view === 'free' ? '' : VIEW_WORDS[view];
  }

  private cellOf(target: EventTarget | null): Cell | null {
    if (!(target instanceof SVGRectElement) || !target.classList.contains('seat')) return null;
    const r = Number(target.dataset.r);
    const c = Number(target.dataset.c);
    return Number.isInteger(r) && Number.isInteger(c) ? { r, c } : null;
  }

  private setFocus(cell: Cell, move: boolean): void {
    this.seats[this.focus.r]?.[this.focus.c]?.setAttribute('tabindex', '-1');
    this.focus = cell;
    const seat = this.seats[cell.r]?.[cell.c];
    seat?.setAttribute('tabindex', '0');
    if (move) seat?.focus();
  }

  private activate(cell: Cell): void {
    const view = this.views[cell.r]?.[cell.c];
    if (!this.model || !view || !selectable(view)) return;
    this.options.toggle(seatAt(this.model, cell.r, cell.c));
  }

  private onClick(e: MouseEvent): void {
    const cell = this.cellOf(e.target);
    if (!cell) return;
    this.setFocus(cell, false);
    this.activate(cell);
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.model) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.activate(this.focus);
      return;
    }
    const next = moveFocus(this.focus, e.key, this.model.rows.length, this.model.cols, e.ctrlKey || e.metaKey);
    if (!next) return;
    e.preventDefault();
    this.setFocus(next, true);
  }
}
