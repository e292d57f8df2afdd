// The one way the pages talk to the API: JSON in, JSON out, the bearer token when signed in,
// and every failure turned into an ApiError with a sentence a buyer can read.

import { session } from './session';

/** An answer that is not a success, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The API's machine-readable code, e.g. `seats_unavailable`. */
    readonly code: string,
    message: string,
    /** The request field at fault, when the API names one. */
    readonly field?: string,
    /** The whole error body, for codes that carry more (the seats of `seats_unavailable`). */
    readonly body: Record<string, unknown> = {},
    /** Seconds to wait before retrying, from `Retry-After`. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Messages for statuses whose body carries none we can show. */
const FALLBACK: Record<number, string> = {
  401: 'Please sign in again.',
  403: 'Your account may not do this.',
  404: 'Not found.',
  429: 'Too many attempts; wait a moment and try again.',
  500: 'Something went wrong on our side; please try again.',
  502: 'The service is unavailable; please try again in a moment.',
  503: 'The service is busy; please try again in a moment.',
  504: 'The service took too long to answer; please try again.',
};

/**
 * The ApiError for an answer with `status` and the (possibly empty or non-JSON) `text` of
 * its body. The API's own message is kept when the body is its JSON error; anything else
 * (an HTML page from a proxy, a truncated body) gets a plain sentence, never the raw text.
 */
export function errorFrom(status: number, text: string, retryAfter?: string | null): ApiError {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: fall back below.
  }
  const code = typeof body.code === 'string' ? body.code : `http_${status}`;
  const fromApi = typeof body.message === 'string' && body.message.length > 0 ? body.message : undefined;
  const message = fromApi ?? FALLBACK[status] ?? `The request failed (HTTP ${status}).`;
  const field = typeof body.field === 'string' ? body.field : undefined;
  const seconds = retryAfter ? Number.parseInt(retryAfter, 10) : Number.NaN;
  return new ApiError(status, code, message, field, body, Number.isFinite(seconds) ? seconds : undefined);
}

/** The ApiError for a request that got no answer. */
export function networkError(): ApiError {
  return new ApiError(0, 'network', 'The server cannot be reached; check your connection and try again.');
}

export interface RequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as `Idempotency-Key`, so a retried request sells or holds nothing more. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** Offset of the server's clock from ours in ms, from the `Date` of the last answer. */
let clockSkew = 0;

/** The server's time now, in ms since the epoch, as well as we know it. */
export function serverNow(): number {
  return Date.now() + clockSkew;
}

/**
 * Sends `method path` and resolves to the JSON answer (undefined for 204). A 401 on a
 * request that carried a token means it lapsed: the session is ended.
 */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      credentials: 'omit',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw networkError();
  }
  const date = response.headers.get('Date');
  if (date) {
    const server = Date.parse(date);
    // Date has whole seconds: only a skew beyond that is worth correcting.
    if (Number.isFinite(server) && Math.abs(server - Date.now()) > 1500) clockSkew = server - Date.now();
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const error = errorFrom(response.status, text, response.headers.get('Retry-After'));
    if (response.status === 401 && token) session.end();
    throw error;
  }
  if (response.status === 204 || text.length === 0) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw errorFrom(500, '');
  }
}

export const get = <T>(path: string, signal?: AbortSignal): Promise<T> => request<T>('GET', path, { signal });

/** Encodes query parameters, leaving out empty ones. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
