import { coresUsed, type CgroupView } from '@shipshape/cgroup';
import type { ContainerView } from '@shipshape/contracts';

/** One reading of the cgroup, with when it was taken (a monotonic clock, in ms). */
interface Reading {
  atMs: number;
  view: CgroupView;
}

/** What the sampler hands out: the container's figures with the cores used over the last interval. */
export interface ContainerSample {
  /** Wall-clock time of the later reading. */
  at: Date;
  container: ContainerView;
}

export interface SamplerOptions {
  /** Reads the process's cgroup: `() => readCgroup(fileReader(root))`; tests give fixture trees. */
  read: () => Promise<CgroupView>;
  /** How often the stream samples while a client listens. */
  intervalMs: number;
  /** The gap between the two readings of an on-demand sample. */
  pairGapMs: number;
  /** Monotonic milliseconds (performance.now), so that a clock step never gives a negative interval. */
  monotonicMs?: () => number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Told of a reading that failed; the stream goes on with the next one. */
  onError?: (error: unknown) => void;
}

export interface Sampler {
  /**
   * The container now, `usageCoresNow` over the last sampling interval. When the stream is sampling,
   * its last two readings; otherwise two readings `pairGapMs` apart, shared by concurrent callers.
   */
  current(): Promise<ContainerSample>;
  /** Calls `listener` with every sample, at once and then each `intervalMs`; answers the unsubscribe. */
  subscribe(listener: (sample: ContainerSample) => void): () => void;
  readonly listeners: number;
  /** How many times the cgroup was read since start: tests prove that no one listening reads nothing. */
  readonly readings: number;
  /** Stops the timer and forgets every listener. */
  close(): void;
}

function toContainerView(view: CgroupView, usageCoresNow: number | null): ContainerView {
  const { usageSeconds: _usageSeconds, ...cpu } = view.cpu;
  return { cgroup: view.cgroup, cpu: { ...cpu, usageCoresNow }, memory: view.memory, pids: view.pids };
}

/**
 * One sampler for the whole service: every stream client shares its timer and its readings, and the
 * timer runs only while at least one listens, so an idle service reads nothing.
 */
export function createSampler(options: SamplerOptions): Sampler {
  const {
    read,
    intervalMs,
    pairGapMs,
    monotonicMs = () => performance.now(),
    now = () => new Date(),
    sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    onError = () => {},
  } = options;
  const listeners = new Set<(sample: ContainerSample) => void>();
  let previous: Reading | undefined;
  let latest: Reading | undefined;
  let latestSample: ContainerSample | undefined;
  let readings = 0;
  let timer: NodeJS.Timeout | undefined;
  let pair: Promise<ContainerSample> | undefined;
  let closed = false;

  async function takeReading(): Promise<Reading> {
    readings++;
    const atMs = monotonicMs();
    const reading = { atMs, view: await read() };
    previous = latest;
    latest = reading;
    return reading;
  }

  function sampleOf(earlier: Reading | undefined, later: Reading): ContainerSample {
    const cores = earlier
      ? coresUsed(earlier.view.cpu.usageSeconds, later.view.cpu.usageSeconds, later.atMs - earlier.atMs)
      : null;
    latestSample = { at: now(), container: toContainerView(later.view, cores) };
    return latestSample;
  }

  const recent = () =>
    latest !== undefined && previous !== undefined && monotonicMs() - latest.atMs <= intervalMs * 1.5;

  function current(): Promise<ContainerSample> {
    if (recent()) return Promise.resolve(sampleOf(previous, latest!));
    // A cgroup counts CPU time since it was made, not a rate: a figure for "now" needs two readings. With
    // no recent ones, two taken a quarter of a second apart give the first GET a real figure (not null),
    // short enough for a request to wait for.
    pair ??= (async () => {
      try {
        const first = await takeReading();
        await sleep(pairGapMs);
        return sampleOf(first, await takeReading());
      } finally {
        pair = undefined;
      }
    })();
    return pair;
  }

  function broadcast(sample: ContainerSample): void {
    for (const listener of listeners) listener(sample);
  }

  async function tick(): Promise<void> {
    try {
      const earlier = latest;
      const later = await takeReading();
      if (listeners.size > 0) broadcast(sampleOf(earlier, later));
    } catch (error) {
      onError(error);
    }
  }

  function start(): void {
    // The first sample goes out at once (two readings, so that it carries a usage figure); the timer
    // then reads once a second, each reading compared with the one before.
    current().then((sample) => {
      if (listeners.size > 0) broadcast(sample);
    }, onError);
    timer = setInterval(() => void tick(), intervalMs);
  }

  function stop(): void {
    clearInterval(timer);
    timer = undefined;
    // A client that comes later is sent a fresh sample, not the last one of this session.
    latestSample = undefined;
  }

  return {
    current,
    subscribe(listener) {
      if (closed) return () => {};
      listeners.add(listener);
      if (timer === undefined) start();
      else if (latestSample) listener(latestSample);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    get listeners() {
      return listeners.size;
    },
    get readings() {
      return readings;
    },
    close() {
      closed = true;
      listeners.clear();
      stop();
    },
  };
}
