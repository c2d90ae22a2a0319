/**
 * Server-Sent Events that reconnect by themselves. The browser's EventSource retries on its own only
 * while the server keeps answering 200; a 502 or 503 while the gateway or an upstream restarts closes
 * it for good. Here every error closes the source and a new one is opened after a backoff that grows
 * from `initialMs` to `maxMs`, and starts over once a connection opens. With `staleAfterMs`, a stream
 * that sends nothing for that long (a proxy holding a dead connection) is dropped and opened again.
 *
 * The EventSource class and the timers are parameters, so the logic is tested without a browser.
 */

export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export type StreamStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** A share of the delay, ± at random, so that many pages do not come back in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 15_000, factor: 2, jitter: 0.2 };

/** The wait before reconnect number `attempt` (0 for the first after a drop). */
export function backoffDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF, random = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, attempt));
  const spread = base * backoff.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(backoff.maxMs, base + spread)));
}

export interface StreamOptions {
  url: string;
  /** A handler per event name; the data is handed over as the server sent it. */
  events: Record<string, (data: string) => void>;
  onStatus?: (status: StreamStatus, retryInMs?: number) => void;
  backoff?: Backoff;
  staleAfterMs?: number;
  createEventSource?: EventSourceFactory;
  random?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface Stream {
  close(): void;
}

export function openStream(options: StreamOptions): Stream {
  const create = options.createEventSource ?? ((url: string) => new EventSource(url));
  const setTimer = options.setTimer ?? ((callback: () => void, ms: number) => setTimeout(callback, ms));
  const clearTimer = options.clearTimer ?? ((handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let source: EventSourceLike | null = null;
  let attempt = 0;
  let retryTimer: unknown = null;
  let staleTimer: unknown = null;
  let closed = false;

  const report = (status: StreamStatus, retryInMs?: number) => options.onStatus?.(status, retryInMs);

  const armStaleTimer = () => {
    if (options.staleAfterMs === undefined) return;
    if (staleTimer !== null) clearTimer(staleTimer);
    staleTimer = setTimer(() => {
      staleTimer = null;
      drop();
    }, options.staleAfterMs);
  };

  const drop = () => {
    if (closed) return;
    source?.close();
    source = null;
    if (staleTimer !== null) clearTimer(staleTimer);
    staleTimer = null;
    if (retryTimer !== null) return;
    const delay = backoffDelay(attempt, backoff, options.random);
    attempt += 1;
    report('reconnecting', delay);
    retryTimer = setTimer(() => {
      retryTimer = null;
      connect();
    }, delay);
  };

  const connect = () => {
    if (closed) return;
    report('connecting');
    const current = create(options.url);
    source = current;
    current.onopen = () => {
      if (source !== current) return;
      attempt = 0;
      report('open');
      armStaleTimer();
    };
    current.onerror = () => {
      if (source === current) drop();
    };
    for (const [name, handler] of Object.entries(options.events)) {
      current.addEventListener(name, (event) => {
        if (source !== current) return;
        armStaleTimer();
        handler(event.data);
      });
    }
    armStaleTimer();
  };

  connect();
  return {
    close() {
      if (closed) return;
      closed = true;
      source?.close();
      source = null;
      if (retryTimer !== null) clearTimer(retryTimer);
      if (staleTimer !== null) clearTimer(staleTimer);
      retryTimer = staleTimer = null;
      report('closed');
    },
  };
}
