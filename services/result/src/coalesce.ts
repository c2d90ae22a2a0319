/**
 * Sends the latest of the values pushed, at most once per `minIntervalMs`, and never while the last
 * send is still under way: a slow client gets fewer, newer events instead of a growing backlog.
 */
export interface Coalescer<T> {
  push(value: T): void;
  /** Drops what is waiting; nothing is sent afterwards. */
  cancel(): void;
}

export function coalesce<T>(
  send: (value: T) => unknown,
  minIntervalMs: number,
  now: () => number = Date.now,
): Coalescer<T> {
  let waiting: { value: T } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inFlight = false;
  let lastSent = -Infinity;
  let cancelled = false;

  function flush(): void {
    timer = undefined;
    if (cancelled || waiting === undefined) return;
    const { value } = waiting;
    waiting = undefined;
    lastSent = now();
    inFlight = true;
    Promise.resolve()
      .then(() => (cancelled ? undefined : send(value)))
      .catch(() => {})
      .finally(() => {
        inFlight = false;
        schedule();
      });
  }

  function schedule(): void {
    if (cancelled || waiting === undefined || inFlight || timer !== undefined) return;
    const wait = lastSent + minIntervalMs - now();
    if (wait <= 0) flush();
    else timer = setTimeout(flush, wait);
  }

  return {
    push(value) {
      waiting = { value };
      schedule();
    },
    cancel() {
      cancelled = true;
      waiting = undefined;
      clearTimeout(timer);
    },
  };
}
