import { afterEach, describe, expect, it, vi } from 'vitest';
import { every } from '../src/live';

describe('keeping a page live', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the task an interval after each run ends, never two at once, until the page is left', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const started: number[] = [];
    let release: () => void = () => {};
    every(1000, controller.signal, async () => {
      started.push(Date.now());
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    expect(started).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toHaveLength(1);
    // A slow answer: nothing more starts while it runs.
    await vi.advanceTimersByTimeAsync(5000);
    expect(started).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(999);
    expect(started).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toHaveLength(2);
    release();
    controller.abort();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(started).toHaveLength(2);
  });

  it('goes on after a run that throws', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    let runs = 0;
    every(100, controller.signal, async () => {
      runs += 1;
      throw new Error('the server did not answer');
    });
    await vi.advanceTimersByTimeAsync(350);
    expect(runs).toBe(3);
    controller.abort();
  });
});
