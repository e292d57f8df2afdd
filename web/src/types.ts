// The shapes of the API's answers the pages read (api/openapi.json is the full contract).

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface EventView {
  eventId: string;
  venueId: string;
  name: string;
  type: string;
  date: string;
  venueName: string;
  capacity: number;
  /** Seats not sold yet (held ones included), when Redis answered. */
  seatsLeft?: number;
}

export interface ZoneInfo {
  zoneId: number;
  ticketPrice: string;
  rowCount: number;
  colCount: number;
  capacity: number;
}

export interface VenueDetail {
  venueId: string;
  name: string;
  capacity: number;
  zones: ZoneInfo[];
}

export type SeatStatus = 'free' | 'held' | 'sold';

export interface ZoneSeatMap {
  eventId: string;
  zoneId: number;
  sold: number;
  held: number;
  free: number;
  rows: { row: string; seats: SeatStatus[] }[];
}

export interface ZoneCounts {
  zoneId: number;
  capacity: number;
  sold: number;
  held: number;
  free: number;
}

export interface EventSeatMap {
  eventId: string;
  sold: number;
  held: number;
  free: number;
  zones: ZoneCounts[];
}

export interface User {
  userId: string;
  email: string;
  name: string;
  role: 'buyer' | 'admin';
}

export interface Token {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface SeatRef {
  zoneId: number;
  row: string;
  column: number;
}

export interface HeldSeat extends SeatRef {
  price: string;
}

export interface Hold {
  holdId: string;
  venueId: string;
  eventId: string;
  status: 'held' | 'expired' | 'sold';
  expiresAt: string;
  seats: HeldSeat[];
  total: string;
  orderId?: string;
}

export interface Ticket extends SeatRef {
  ticketId: string;
  venueId: string;
  eventId: string;
  price: string;
  createdOn: string;
  buyerId?: string;
  orderId?: string;
}

export interface Order {
  orderId: string;
  holdId: string;
  tickets: Ticket[];
  total: string;
}

export interface ZoneSales extends ZoneCounts {
  price: string;
  revenue: string;
}

export interface Sales {
  eventId: string;
  venueId: string;
  sold: number;
  held: number;
  free: number;
  revenue: string;
  zones: ZoneSales[];
  outbox: { waiting: number; pending: number };
}

export interface QueueDepth {
  store: 'mysql' | 'dynamodb';
  queue: string;
  messages: number;
  consumers: number;
  deadLettered: number;
}

export interface Pipeline {
  outbox: { waiting: number; pending: number };
  /** Absent when the broker did not answer. */
  queues?: QueueDepth[];
  brokerError?: string;
}
