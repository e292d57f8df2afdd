// Keeping a page live: a task run again and again, one interval after each run ends (so runs
// never overlap and a slow server is not asked faster than it answers), only while the tab
// is visible, until the page is left.

/**
 * Runs `tick` `everyMs` from now, then `everyMs` after each run ends, while the document is
 * visible; a tab shown again runs it at once. Stops when `signal` aborts. `tick` should not
 * throw; what it throws is dropped so the loop goes on.
 */
export function every(everyMs: number, signal: AbortSignal, tick: () => Promise<void>): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  const run = async (): Promise<void> => {
    clearTimeout(timer);
    if (running || signal.aborted) return;
    running = true;
    try {
      await tick();
    } catch {
      // The page shows its own errors; the loop only keeps time.
    } finally {
      running = false;
    }
    if (!signal.aborted && document.visibilityState === 'visible') timer = setTimeout(() => void run(), everyMs);
  };
  const onVisibility = (): void => {
    if (document.visibilityState === 'visible') void run();
    else clearTimeout(timer);
  };
  document.addEventListener('visibilitychange', onVisibility);
  signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    },
    { once: true },
  );
  timer = setTimeout(() => void run(), everyMs);
}
