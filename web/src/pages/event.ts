// The event page (`/events/{eventId}?zone=N`): the event, its zones with price and free
// seats, and the live seat map of the chosen zone. The buyer selects seats and holds them
// (signing in first if needed; the selection survives the detour), then pays or releases.
//
// Live: the chosen zone's map is fetched a second after the last answer (one request per
// zone per interval, whatever the number of seats) and the zones' counts every fifth time,
// while the tab is visible, so a seat someone else takes turns unavailable within about a
// second.

import { ApiError, get, request } from '../api';
import { announce, h, replace } from '../dom';
import { randomKey } from '../keys';
import { every } from '../live';
import type { PageContext } from '../router';
import { navigate, replaceQuery } from '../router';
import { session } from '../session';
import {
  type Choice,
  type SeatKey,
  type ZoneModel,
  lostSeats,
  parseSeatKey,
  seatKey,
  seatName,
  zoneModel,
} from '../seatmap/state';
import { SeatMapView, VIEW_WORDS, swatch } from '../seatmap/view';
import type { EventSeatMap, EventView, Hold, SeatRef, VenueDetail, ZoneSeatMap } from '../types';
import { aborted, alertBox, dateText, pageHeading, statusBox } from '../ui';
import { type HoldEnd, holdPanel, orderPanel } from './hold';
import { selectionPanel } from './selection';
import { zonePicker } from './zones';

const MAP_EVERY_MS = 1000;
const COUNTS_EVERY = 5;

/** Where a selection waits while the buyer signs in, and where their hold id is kept. */
const pendingKey = (eventId: string): string => `ticketing.pending.${eventId}`;
const holdKey = (eventId: string): string => `ticketing.hold.${eventId}`;

function legend(): HTMLElement {
  const views = ['free', 'selected', 'mine', 'held', 'sold'] as const;
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    ...views.map((v) => h('li', {}, swatch(v), h('span', {}, VIEW_WORDS[v][0]?.toUpperCase() + VIEW_WORDS[v].slice(1)))),
  );
}

export async function eventPage(ctx: PageContext): Promise<void> {
  const eventId = ctx.params[0] ?? '';
  const loading = statusBox('Loading the event…');
  ctx.main.append(loading);
  let event: EventView;
  let venue: VenueDetail;
  try {
    event = await get<EventView>(`/api/v1/events/${encodeURIComponent(eventId)}`, ctx.signal);
    venue = await get<VenueDetail>(`/api/v1/venues/${encodeURIComponent(event.venueId)}`, ctx.signal);
  } catch (error) {
    if (aborted(error)) return;
    ctx.title('Event');
    replace(ctx.main, pageHeading(error instanceof ApiError && error.status === 404 ? 'Event not found' : 'Event', ctx.title), alertBox(error));
    return;
  }
  loading.remove();
  const price = new Map(venue.zones.map((z) => [z.zoneId, z.ticketPrice]));
  const firstZone = venue.zones[0]?.zoneId ?? 1;
  const askedZone = Number(ctx.url.searchParams.get('zone'));
  let zoneId = price.has(askedZone) ? askedZone : firstZone;

  // --- State ---------------------------------------------------------------------------
  const selected = new Set<SeatKey>();
  let hold: Hold | null = null;
  let model: ZoneModel | null = null;
  const choice = (): Choice => ({
    selected,
    mine: new Set(hold?.status === 'held' ? hold.seats.map(seatKey) : []),
  });

  // --- Layout --------------------------------------------------------------------------
  const zones = zonePicker(venue.zones, (id) => void chooseZone(id));
  const map = new SeatMapView({ toggle });
  const mapStatus = h('div', { class: 'map-status' });
  const mapHeading = h('h2', { id: 'map-heading' }, '');
  const side = h('aside', { class: 'side', 'aria-label': 'Your selection' });
  ctx.main.append(
    h(
      'div',
      { class: 'event-head' },
      pageHeading(event.name, ctx.title),
      h('p', { class: 'result-meta' }, event.venueName, ' · ', dateText(event.date), ' · ', event.type),
    ),
    h('section', { class: 'zone-picker', 'aria-labelledby': 'zones-heading' }, h('h2', { id: 'zones-heading' }, 'Zones'), zones.element),
    h(
      'div',
      { class: 'event-body' },
      h('section', { class: 'map panel', 'aria-labelledby': 'map-heading' }, mapHeading, legend(), h('div', { class: 'map-scroll' }, map.element), mapStatus),
      side,
    ),
  );

  // --- Drawing -------------------------------------------------------------------------
  const drawSide = (note?: HTMLElement): void => {
    if (hold?.status === 'held') return; // the hold panel owns the side while it lives
    const clear = (): void => {
      selected.clear();
      refreshChoice();
    };
    const seats = [...selected].map(parseSeatKey);
    side.replaceChildren(selectionPanel({ seats, price, note, hold: () => void holdSeats(), clear }));
  };

  const refreshChoice = (note?: HTMLElement): void => {
    if (model) map.update(model, choice());
    drawSide(note);
  };

  function toggle(seat: SeatRef): void {
    if (hold?.status === 'held') {
      announce('Your seats are held: pay or release them before selecting others.');
      return;
    }
    const key = seatKey(seat);
    if (selected.has(key)) selected.delete(key);
    else selected.add(key);
    announce(`${seatName(seat)} ${selected.has(key) ? 'selected' : 'unselected'}. ${selected.size} selected.`);
    refreshChoice();
  }

  // --- The seat map, live ----------------------------------------------------------------
  const showZone = (report: ZoneSeatMap, fresh: boolean): void => {
    const next = zoneModel(report);
    model = next;
    mapHeading.textContent = `Zone ${report.zoneId}: ${report.free} free of ${report.free + report.held + report.sold}`;
    const lost = lostSeats(next, choice());
    for (const key of lost) selected.delete(key);
    if (fresh) {
      const started = performance.now();
      map.render(next, choice());
      performance.measure('seatmap-render', { start: started, end: performance.now() });
      // Until the browser has laid out and painted the new map: the next frame, then a task.
      requestAnimationFrame(() => setTimeout(() => performance.measure('seatmap-frame', { start: started, end: performance.now() })));
    } else {
      const started = performance.now();
      map.update(next, choice());
      performance.measure('seatmap-update', { start: started, end: performance.now() });
    }
    if (lost.length > 0) {
      const names = lost.map((k) => seatName(parseSeatKey(k))).join(', ');
      announce(`No longer available: ${names}.`);
      drawSide(statusBox(`Someone else just took ${names}.`, 'warning'));
    }
    zones.setFree(report.zoneId, report.free);
  };

  const fetchZone = (id: number): Promise<ZoneSeatMap> =>
    get<ZoneSeatMap>(`/api/v1/events/${encodeURIComponent(eventId)}/seats?zoneId=${id}`, ctx.signal);

  async function chooseZone(id: number): Promise<void> {
    zoneId = id;
    zones.choose(id);
    replaceQuery(`?zone=${id}`);
    try {
      const report = await fetchZone(id);
      if (id === zoneId) showZone(report, true);
      mapStatus.replaceChildren();
    } catch (error) {
      if (!aborted(error)) replace(mapStatus, alertBox(error));
    }
  }

  let ticks = 0;
  const refresh = async (): Promise<void> => {
    ticks += 1;
    const id = zoneId;
    try {
      const report = await fetchZone(id);
      if (id === zoneId) showZone(report, false);
      if (ticks % COUNTS_EVERY === 0) {
        const counts = await get<EventSeatMap>(`/api/v1/events/${encodeURIComponent(eventId)}/seats`, ctx.signal);
        for (const z of counts.zones) if (z.zoneId !== zoneId) zones.setFree(z.zoneId, z.free);
      }
      mapStatus.replaceChildren();
    } catch (error) {
      if (!aborted(error)) replace(mapStatus, statusBox('Live updates paused: the server did not answer. Retrying…', 'warning'));
    }
  };

  // --- Holding and paying --------------------------------------------------------------
  const showHold = (h0: Hold): void => {
    hold = h0;
    sessionStorage.setItem(holdKey(eventId), h0.holdId);
    selected.clear();
    if (model) map.update(model, choice());
    side.replaceChildren(holdPanel(h0, holdEnded, ctx.signal));
  };

  const holdEnded = (end: HoldEnd): void => {
    hold = null;
    sessionStorage.removeItem(holdKey(eventId));
    if (end.kind === 'sold') {
      side.replaceChildren(orderPanel(end.order));
      announce('Order confirmed.');
      side.querySelector<HTMLElement>('#order-heading')?.focus();
    } else {
      selected.clear();
      drawSide(end.kind === 'expired' ? alertBox(new ApiError(410, 'hold_expired', end.message)) : statusBox('Your seats were released.'));
    }
    void chooseZone(zoneId);
  };

  async function holdSeats(): Promise<void> {
    const seats = [...selected].map(parseSeatKey);
    if (seats.length === 0) return;
    if (!session.token()) {
      sessionStorage.setItem(pendingKey(eventId), JSON.stringify([...selected]));
      navigate(`/signin?next=${encodeURIComponent(`/events/${eventId}?zone=${zoneId}`)}`);
      return;
    }
    drawSide(statusBox('Holding your seats…'));
    try {
      const created = await request<Hold>('POST', '/api/v1/holds', {
        body: { venueId: event.venueId, eventId, seats },
        idempotencyKey: randomKey(),
      });
      showHold(created);
      announce(`${seats.length} seats held.`);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'hold_exists' && typeof error.body.holdId === 'string') {
        await restoreHold(error.body.holdId, 'You already hold seats for this event: here they are.');
        return;
      }
      if (error instanceof ApiError && error.code === 'seats_unavailable' && Array.isArray(error.body.seats)) {
        for (const seat of error.body.seats as SeatRef[]) selected.delete(seatKey(seat));
      }
      if (error instanceof ApiError && error.status === 401) {
        sessionStorage.setItem(pendingKey(eventId), JSON.stringify(seats.map(seatKey)));
        navigate(`/signin?next=${encodeURIComponent(`/events/${eventId}?zone=${zoneId}`)}`);
        return;
      }
      refreshChoice(alertBox(error));
      void chooseZone(zoneId);
    }
  }

  async function restoreHold(holdId: string, note?: string): Promise<void> {
    try {
      const found = await request<Hold>('GET', `/api/v1/holds/${encodeURIComponent(holdId)}`, { signal: ctx.signal });
      if (found.status === 'held') {
        showHold(found);
        if (note) side.prepend(statusBox(note));
        return;
      }
    } catch (error) {
      if (aborted(error)) return;
    }
    sessionStorage.removeItem(holdKey(eventId));
    drawSide();
  }

  // --- Start ---------------------------------------------------------------------------
  drawSide();
  await chooseZone(zoneId);
  const savedHold = sessionStorage.getItem(holdKey(eventId));
  const pending = sessionStorage.getItem(pendingKey(eventId));
  if (savedHold && session.token()) await restoreHold(savedHold);
  else if (pending && session.token()) {
    // Back from signing in: the selection made before, then the hold it was for.
    sessionStorage.removeItem(pendingKey(eventId));
    try {
      for (const key of JSON.parse(pending) as SeatKey[]) selected.add(key);
    } catch {
      // A selection we cannot read is simply not restored.
    }
    refreshChoice();
    await holdSeats();
  }
  every(MAP_EVERY_MS, ctx.signal, refresh);
}
