import { describe, expect, it } from 'vitest';
import {
  changedCells,
  lostSeats,
  moveFocus,
  parseSeatKey,
  seatKey,
  seatName,
  selectable,
  viewOf,
  zoneModel,
} from '../src/seatmap/state';
import type { ZoneSeatMap } from '../src/types';

const report = (rows: ZoneSeatMap['rows']): ZoneSeatMap => ({ eventId: 'Event1', zoneId: 3, sold: 0, held: 0, free: 0, rows });
const none = { selected: new Set<string>(), mine: new Set<string>() };

describe('the seat map model', () => {
  it('reads rows and columns from the API answer', () => {
    const model = zoneModel(report([
      { row: 'A', seats: ['free', 'sold', 'held'] },
      { row: 'B', seats: ['free', 'free', 'free'] },
    ]));
    expect(model).toEqual({
      zoneId: 3,
      rows: ['A', 'B'],
      cols: 3,
      status: [['free', 'sold', 'held'], ['free', 'free', 'free']],
    });
    expect(viewOf(model, 0, 1, none)).toBe('sold');
    expect(viewOf(model, 0, 2, none)).toBe('held');
    expect(viewOf(model, 1, 0, none)).toBe('free');
  });

  it('names seats the way the pages and the tests find them', () => {
    expect(seatName({ zoneId: 1, row: 'A', column: 3 })).toBe('Zone 1 row A seat 3');
    expect(parseSeatKey(seatKey({ zoneId: 12, row: 'AB', column: 30 }))).toEqual({ zoneId: 12, row: 'AB', column: 30 });
  });

  it("shows the buyer's own hold as theirs and a selection only while the seat is free", () => {
    const model = zoneModel(report([{ row: 'A', seats: ['held', 'free', 'sold'] }]));
    const choice = { selected: new Set(['3:A:2', '3:A:3']), mine: new Set(['3:A:1']) };
    expect(viewOf(model, 0, 0, choice)).toBe('mine');
    expect(viewOf(model, 0, 1, choice)).toBe('selected');
    expect(viewOf(model, 0, 2, choice)).toBe('sold');
    expect(['free', 'selected'].map((v) => selectable(v as never))).toEqual([true, true]);
    expect(['mine', 'held', 'sold'].some((v) => selectable(v as never))).toBe(false);
  });

  it('drops selected seats that someone else took, and only those of this zone', () => {
    const model = zoneModel(report([{ row: 'A', seats: ['free', 'sold', 'held'] }]));
    const choice = { selected: new Set(['3:A:1', '3:A:2', '3:A:3', '4:A:2']), mine: new Set<string>() };
    expect(lostSeats(model, choice)).toEqual(['3:A:2', '3:A:3']);
    // Seats of the buyer's own hold are not lost: the API reports them held.
    expect(lostSeats(model, { selected: new Set(['3:A:3']), mine: new Set(['3:A:3']) })).toEqual([]);
  });

  it('finds the seats whose state changed between two reports', () => {
    const before = zoneModel(report([{ row: 'A', seats: ['free', 'free'] }, { row: 'B', seats: ['sold', 'free'] }]));
    const after = zoneModel(report([{ row: 'A', seats: ['free', 'held'] }, { row: 'B', seats: ['sold', 'sold'] }]));
    expect(changedCells(before, after)).toEqual([[0, 1], [1, 1]]);
    expect(changedCells(after, after)).toEqual([]);
  });

  it('moves the focus like a grid and stops at the edges', () => {
    const at = { r: 0, c: 0 };
    expect(moveFocus(at, 'ArrowRight', 26, 30)).toEqual({ r: 0, c: 1 });
    expect(moveFocus(at, 'ArrowLeft', 26, 30)).toEqual({ r: 0, c: 0 });
    expect(moveFocus(at, 'ArrowUp', 26, 30)).toEqual({ r: 0, c: 0 });
    expect(moveFocus(at, 'ArrowDown', 26, 30)).toEqual({ r: 1, c: 0 });
    expect(moveFocus({ r: 4, c: 7 }, 'End', 26, 30)).toEqual({ r: 4, c: 29 });
    expect(moveFocus({ r: 4, c: 7 }, 'Home', 26, 30)).toEqual({ r: 4, c: 0 });
    expect(moveFocus({ r: 4, c: 7 }, 'End', 26, 30, true)).toEqual({ r: 25, c: 29 });
    expect(moveFocus({ r: 23, c: 7 }, 'PageDown', 26, 30)).toEqual({ r: 25, c: 7 });
    expect(moveFocus({ r: 3, c: 7 }, 'PageUp', 26, 30)).toEqual({ r: 0, c: 7 });
    expect(moveFocus(at, 'a', 26, 30)).toBeNull();
  });
});
