import { describe, expect, it } from 'vitest';
import { ApiError, errorFrom, networkError, query } from '../src/api';
import { checkoutFailure } from '../src/pages/hold';
import { safeNext } from '../src/pages/account';
import { cents, formatCents } from '../src/money';

describe('errors from the API', () => {
  it("keeps the API's code, message and field", () => {
    const e = errorFrom(400, '{"code":"invalid_field","message":"`email` is not an email address","field":"email"}');
    expect([e.status, e.code, e.message, e.field]).toEqual([400, 'invalid_field', '`email` is not an email address', 'email']);
  });

  it('never shows a body that is not the JSON error, such as a proxy page', () => {
    const e = errorFrom(502, '<html><body><script>alert(1)</script></body></html>');
    expect(e.message).toBe('The service is unavailable; please try again in a moment.');
    expect(e.code).toBe('http_502');
    expect(errorFrom(418, '').message).toBe('The request failed (HTTP 418).');
    expect(errorFrom(500, '[1,2]').message).toBe('Something went wrong on our side; please try again.');
  });

  it('reads Retry-After and keeps the rest of the body', () => {
    const e = errorFrom(409, '{"code":"seats_unavailable","message":"taken","seats":[{"zoneId":1,"row":"A","column":3}]}', '2');
    expect(e.retryAfter).toBe(2);
    expect(e.body.seats).toEqual([{ zoneId: 1, row: 'A', column: 3 }]);
    expect(errorFrom(503, '{}', 'soon').retryAfter).toBeUndefined();
  });

  it('tells a network failure apart', () => {
    const e = networkError();
    expect([e.status, e.code]).toEqual([0, 'network']);
  });

  it('keeps a hold after a declined card or an outage, and drops it once it is gone', () => {
    expect(checkoutFailure(new ApiError(402, 'payment_declined', 'declined'))).toBe('keep');
    expect(checkoutFailure(new ApiError(503, 'payment_unavailable', 'down'))).toBe('keep');
    expect(checkoutFailure(networkError())).toBe('keep');
    expect(checkoutFailure(new ApiError(410, 'hold_expired', 'gone'))).toBe('gone');
    expect(checkoutFailure(new ApiError(404, 'not_found', 'gone'))).toBe('gone');
  });
});

describe('small rules', () => {
  it('returns after sign-in only to a path of this site', () => {
    expect(safeNext('/events/Event1?zone=2')).toBe('/events/Event1?zone=2');
    expect(safeNext('https://evil.example/')).toBe('/');
    expect(safeNext('//evil.example/')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });

  it('adds prices in cents', () => {
    expect(cents('150.00') + cents('7.5') + cents('0.05')).toBe(15755);
    expect(formatCents(15755)).toBe('157.55');
    expect(formatCents(5)).toBe('0.05');
    expect(Number.isNaN(cents('1e3'))).toBe(true);
  });

  it('leaves empty query parameters out', () => {
    expect(query({ q: 'tour', type: '', from: undefined, limit: 20 })).toBe('?q=tour&limit=20');
    expect(query({})).toBe('');
  });
});
