import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatRemaining, remainingMs, startCountdown } from '../src/countdown';

describe('the hold countdown', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('formats minutes and seconds, rounding up so 00:00 means the time is up', () => {
    expect(formatRemaining(600_000)).toBe('10:00');
    expect(formatRemaining(59_001)).toBe('01:00');
    expect(formatRemaining(59_000)).toBe('00:59');
    expect(formatRemaining(1)).toBe('00:01');
    expect(formatRemaining(0)).toBe('00:00');
    expect(formatRemaining(-5)).toBe('00:00');
    expect(formatRemaining(3_723_000)).toBe('1:02:03');
  });

  it('measures from the given clock to the deadline, never below zero', () => {
    const deadline = '2027-01-01T00:10:00.000Z';
    expect(remainingMs(deadline, Date.parse('2027-01-01T00:00:00.000Z'))).toBe(600_000);
    expect(remainingMs(deadline, Date.parse('2027-01-01T00:11:00.000Z'))).toBe(0);
    expect(remainingMs('not a date', 0)).toBe(0);
  });

  it('ticks every second and calls expired once, at the deadline', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse('2027-01-01T00:00:00.000Z'));
    const ticks: string[] = [];
    let expired = 0;
    const stop = startCountdown('2027-01-01T00:00:03.000Z', (ms) => ticks.push(formatRemaining(ms)), () => (expired += 1), Date.now);
    expect(ticks).toEqual(['00:03']);
    vi.advanceTimersByTime(3100);
    expect(ticks).toEqual(['00:03', '00:02', '00:01', '00:00']);
    expect(expired).toBe(1);
    vi.advanceTimersByTime(5000);
    expect(expired).toBe(1);
    stop();
  });

  it('stops when asked, before the deadline', () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    let expired = false;
    const stop = startCountdown(new Date(10_000).toISOString(), () => {}, () => (expired = true), Date.now);
    stop();
    vi.advanceTimersByTime(20_000);
    expect(expired).toBe(false);
  });
});
