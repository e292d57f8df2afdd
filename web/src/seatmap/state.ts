// The seat map's state, apart from any drawing: the zone as the API last reported it, what
// the buyer selected and what their hold has, and the rules that combine them. Pure, so the
// unit tests cover it without a browser.

import type { SeatRef, SeatStatus, ZoneSeatMap } from '../types';

/** How one seat is shown. */
export type SeatView = 'free' | 'selected' | 'mine' | 'held' | 'sold';

/** A seat's identity within an event: `zone:row:column`. */
export type SeatKey = string;

export function seatKey(seat: SeatRef): SeatKey {
  return `${seat.zoneId}:${seat.row}:${seat.column}`;
}

export function parseSeatKey(key: SeatKey): SeatRef {
  const [zone, row, column] = key.split(':');
  return { zoneId: Number(zone), row: row ?? '', column: Number(column) };
}

/** The accessible name of a seat, and how every page names one: "Zone 1 row A seat 3". */
export function seatName(seat: SeatRef): string {
  return `Zone ${seat.zoneId} row ${seat.row} seat ${seat.column}`;
}

/** One zone as the API reported it: `status[r][c]` for row index r, column index c. */
export interface ZoneModel {
  zoneId: number;
  rows: string[];
  cols: number;
  status: SeatStatus[][];
}

export function zoneModel(map: ZoneSeatMap): ZoneModel {
  return {
    zoneId: map.zoneId,
    rows: map.rows.map((r) => r.row),
    cols: Math.max(0, ...map.rows.map((r) => r.seats.length)),
    status: map.rows.map((r) => r.seats),
  };
}

/** The seat at row index `r`, column index `c` (columns are numbered from 1). */
export function seatAt(model: ZoneModel, r: number, c: number): SeatRef {
  return { zoneId: model.zoneId, row: model.rows[r] ?? '', column: c + 1 };
}

/** What the buyer has in hand: seats selected to hold, and seats their live hold has. */
export interface Choice {
  selected: ReadonlySet<SeatKey>;
  mine: ReadonlySet<SeatKey>;
}

/**
 * How a seat is shown. The buyer's own hold shows as theirs although the API reports it
 * `held` like anyone's; a selected seat shows selected while it is free.
 */
export function viewOf(model: ZoneModel, r: number, c: number, choice: Choice): SeatView {
  const key = seatKey(seatAt(model, r, c));
  const status = model.status[r]?.[c] ?? 'sold';
  if (choice.mine.has(key) && status !== 'free') return 'mine';
  if (status !== 'free') return status;
  return choice.selected.has(key) ? 'selected' : 'free';
}

/** Whether a seat shown as `view` can be selected or unselected. */
export function selectable(view: SeatView): boolean {
  return view === 'free' || view === 'selected';
}

/**
 * The selected seats of `model`'s zone that are no longer free (someone else sold or held
 * them since they were selected). Seats of other zones are not judged.
 */
export function lostSeats(model: ZoneModel, choice: Choice): SeatKey[] {
  const lost: SeatKey[] = [];
  for (const key of choice.selected) {
    const seat = parseSeatKey(key);
    if (seat.zoneId !== model.zoneId || choice.mine.has(key)) continue;
    const r = model.rows.indexOf(seat.row);
    const status = model.status[r]?.[seat.column - 1];
    if (status !== 'free') lost.push(key);
  }
  return lost;
}

/** The cells whose status differs between two reports of the same zone, as [r, c]. */
export function changedCells(before: ZoneModel, after: ZoneModel): [number, number][] {
  const changed: [number, number][] = [];
  after.status.forEach((row, r) => {
    row.forEach((status, c) => {
      if (before.status[r]?.[c] !== status) changed.push([r, c]);
    });
  });
  return changed;
}

/** A cell of the grid, by index. */
export interface Cell {
  r: number;
  c: number;
}

/**
 * Where the focus goes from `at` on `key`, as in the WAI-ARIA grid pattern: the arrows move
 * by one seat and stop at the edges, Home and End go to the row's ends, Ctrl+Home and
 * Ctrl+End to the first and last seat, PageUp and PageDown five rows. Null for other keys.
 */
export function moveFocus(at: Cell, key: string, rows: number, cols: number, ctrl = false): Cell | null {
  const clamp = (r: number, c: number): Cell => ({
    r: Math.min(Math.max(r, 0), rows - 1),
    c: Math.min(Math.max(c, 0), cols - 1),
  });
  switch (key) {
    case 'ArrowRight':
      return clamp(at.r, at.c + 1);
    case 'ArrowLeft':
      return clamp(at.r, at.c - 1);
    case 'ArrowDown':
      return clamp(at.r + 1, at.c);
    case 'ArrowUp':
      return clamp(at.r - 1, at.c);
    case 'Home':
      return ctrl ? clamp(0, 0) : clamp(at.r, 0);
    case 'End':
      return ctrl ? clamp(rows - 1, cols - 1) : clamp(at.r, cols - 1);
    case 'PageDown':
      return clamp(at.r + 5, at.c);
    case 'PageUp':
      return clamp(at.r - 5, at.c);
    default:
      return null;
  }
}
