// The countdown of a hold: how long until its deadline, by the server's clock.

import { serverNow } from './api';

/** Milliseconds from `now` until `expiresAt` (an RFC 3339 instant), never negative. */
export function remainingMs(expiresAt: string, now: number): number {
  const deadline = Date.parse(expiresAt);
  if (!Number.isFinite(deadline)) return 0;
  return Math.max(0, deadline - now);
}

/**
 * "mm:ss" for a remaining time (an hour or more: "h:mm:ss"). Seconds are rounded up, so the
 * countdown shows 00:00 only once the time is up.
 */
export function formatRemaining(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mm = String(minutes).padStart(2, '0');
  const ss = String(seconds).padStart(2, '0');
  return hours > 0 ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * Calls `tick` with the remaining time now and then on every second boundary until the
 * deadline, then `expired` once. Returns a function that stops it.
 */
export function startCountdown(
  expiresAt: string,
  tick: (remaining: number) => void,
  expired: () => void,
  now: () => number = serverNow,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const step = (): void => {
    if (stopped) return;
    const remaining = remainingMs(expiresAt, now());
    tick(remaining);
    if (remaining <= 0) {
      stopped = true;
      expired();
      return;
    }
    // Wake just after the displayed second changes.
    timer = setTimeout(step, (remaining % 1000 || 1000) + 5);
  };
  step();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
