import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, openStream, type EventSourceLike, type StreamStatus } from '../src/sse';

/** The browser's EventSource as far as openStream uses it, driven by the test. */
class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  readyState = 0;
  closed = false;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  private listeners = new Map<string, Array<(event: MessageEvent<string>) => void>>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  fail() {
    this.onerror?.(new Event('error'));
  }
  emit(type: string, data: string) {
    for (const listener of this.listeners.get(type) ?? []) listener(new MessageEvent(type, { data }));
  }
}

const latest = () => FakeEventSource.all.at(-1)!;

function start(options: { staleAfterMs?: number } = {}) {
  const statuses: Array<[StreamStatus, number | undefined]> = [];
  const received: string[] = [];
  const stream = openStream({
    url: '/api/results/stream',
    events: { results: (data) => received.push(data) },
    onStatus: (status, retryInMs) => statuses.push([status, retryInMs]),
    createEventSource: (url) => new FakeEventSource(url),
    random: () => 0.5, // no jitter
    ...options,
  });
  return { stream, statuses, received };
}

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the maximum', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelay(attempt, DEFAULT_BACKOFF, () => 0.5));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  it('spreads each delay by at most the jitter, never past the maximum', () => {
    const backoff = { initialMs: 1000, maxMs: 5000, factor: 2, jitter: 0.2 };
    expect(backoffDelay(0, backoff, () => 0)).toBe(800);
    expect(backoffDelay(0, backoff, () => 0.999999)).toBe(1200);
    expect(backoffDelay(5, backoff, () => 0.999999)).toBe(5000);
    expect(backoffDelay(5, backoff, () => 0)).toBe(4000);
  });
});

describe('openStream', () => {
  beforeEach(() => {
    FakeEventSource.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('hands over the events of an open stream', () => {
    const { received, statuses } = start();
    latest().open();
    latest().emit('results', '{"total":1}');
    latest().emit('other', 'ignored');
    expect(received).toEqual(['{"total":1}']);
    expect(statuses.map(([status]) => status)).toEqual(['connecting', 'open']);
    expect(latest().url).toBe('/api/results/stream');
  });

  it('closes a failed source and opens a new one after a backoff that grows', () => {
    const { statuses } = start();
    latest().fail();
    expect(FakeEventSource.all[0]!.closed).toBe(true);
    expect(statuses.at(-1)).toEqual(['reconnecting', 500]);
    vi.advanceTimersByTime(499);
    expect(FakeEventSource.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.all).toHaveLength(2);
    latest().fail();
    expect(statuses.at(-1)).toEqual(['reconnecting', 1000]);
    vi.advanceTimersByTime(1000);
    latest().fail();
    expect(statuses.at(-1)).toEqual(['reconnecting', 2000]);
    vi.advanceTimersByTime(2000);
    expect(FakeEventSource.all).toHaveLength(4);
  });

  it('starts the backoff over once a connection opens', () => {
    const { statuses } = start();
    latest().fail();
    vi.advanceTimersByTime(500);
    latest().fail();
    vi.advanceTimersByTime(1000);
    latest().open();
    latest().fail();
    expect(statuses.at(-1)).toEqual(['reconnecting', 500]);
  });

  it('ignores what a dropped source still delivers', () => {
    const { received } = start();
    const first = latest();
    first.open();
    first.fail();
    first.emit('results', 'late');
    first.fail();
    vi.advanceTimersByTime(500);
    expect(FakeEventSource.all).toHaveLength(2);
    latest().emit('results', 'fresh');
    expect(received).toEqual(['fresh']);
  });

  it('drops a stream that has been silent for staleAfterMs, and not one that speaks', () => {
    start({ staleAfterMs: 5000 });
    latest().open();
    for (let i = 0; i < 5; i += 1) {
      vi.advanceTimersByTime(4000);
      latest().emit('results', String(i));
    }
    expect(FakeEventSource.all).toHaveLength(1);
    vi.advanceTimersByTime(5000);
    expect(FakeEventSource.all[0]!.closed).toBe(true);
    vi.advanceTimersByTime(500);
    expect(FakeEventSource.all).toHaveLength(2);
  });

  it('opens nothing more once closed', () => {
    const { stream, statuses } = start();
    latest().fail();
    stream.close();
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.all).toHaveLength(1);
    expect(statuses.at(-1)).toEqual(['closed', undefined]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
