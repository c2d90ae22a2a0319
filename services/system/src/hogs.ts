import { randomUUID } from 'node:crypto';
import type { CpuHogRequest, Hog, HogSettings, MemoryHogRequest } from '@shipshape/contracts';
import { ForbiddenError, invalidRequest, messageOf, type Logger } from '@shipshape/platform';

/** How a hog ended, as its runner saw it; `stopped` is the registry's own, when it asked. */
export type HogEnd = { state: 'finished' } | { state: 'killed: out of memory' } | { state: 'failed'; error: string };

/** A hog under way: it ends by itself when its time is up, or when told to stop. */
export interface HogRun {
  /** Resolves (never rejects) once every thread or process of the hog is gone. */
  ended: Promise<HogEnd>;
  /** Idempotent; `ended` resolves once it has taken effect. */
  stop(): void;
}

export interface HogRunners {
  cpu(request: CpuHogRequest): HogRun;
  /** `onAllocated` is told the bytes touched so far, as the child reports them. */
  memory(request: MemoryHogRequest, onAllocated: (bytes: number) => void): HogRun;
}

export interface HogLimits {
  SYSTEM_HOGS_ENABLED: boolean;
  SYSTEM_HOG_MAX_WORKERS: number;
  SYSTEM_HOG_MAX_SECONDS: number;
  SYSTEM_HOG_MAX_MEGABYTES: number;
}

export interface HogsOptions {
  limits: HogLimits;
  runners: HogRunners;
  logger: Logger;
  now?: () => Date;
  /** Ended hogs kept for the list beyond the running ones; older ones are forgotten. */
  keepEnded?: number;
}

export interface Hogs {
  settings: HogSettings;
  /** Throws the 403 naming SYSTEM_HOGS_ENABLED while hogs are off. */
  assertEnabled(): void;
  startCpu(request: CpuHogRequest): Hog;
  startMemory(request: MemoryHogRequest): Hog;
  /** Every hog since start (the newest `keepEnded` of the ended ones), oldest first. */
  list(): Hog[];
  running(kind: Hog['kind']): number;
  /** Stops every running hog and answers the list once each has ended. */
  stopAll(): Promise<Hog[]>;
  /** stopAll, and refuses new hogs from then on. */
  close(): Promise<void>;
}

const OFF_REASON = 'Hogs are off: set SYSTEM_HOGS_ENABLED=true to allow them';

interface Entry {
  hog: Hog;
  run: HogRun;
  stopping: boolean;
  done: Promise<void>;
}

/**
 * The hogs of the service: started within the configured bounds, each with its state and end time,
 * all stopped on close. Runners do the work (worker threads, a child process); this owns the states.
 */
export function createHogs({ limits, runners, logger, now = () => new Date(), keepEnded = 50 }: HogsOptions): Hogs {
  const entries: Entry[] = [];
  let closed = false;
  const settings: HogSettings = {
    enabled: limits.SYSTEM_HOGS_ENABLED,
    reason: limits.SYSTEM_HOGS_ENABLED ? null : OFF_REASON,
    maxWorkers: limits.SYSTEM_HOG_MAX_WORKERS,
    maxSeconds: limits.SYSTEM_HOG_MAX_SECONDS,
    maxMegabytes: limits.SYSTEM_HOG_MAX_MEGABYTES,
  };

  function assertEnabled(): void {
    if (!limits.SYSTEM_HOGS_ENABLED) throw new ForbiddenError(OFF_REASON);
    if (closed) throw new ForbiddenError('Hogs are off: the service is shutting down');
  }

  const runningEntries = () => entries.filter((entry) => entry.hog.state === 'running');
  const runningWorkers = () =>
    runningEntries().reduce((sum, entry) => sum + (entry.hog.kind === 'cpu' ? (entry.hog.workers ?? 0) : 0), 0);

  function checkSeconds(seconds: number) {
    return seconds > limits.SYSTEM_HOG_MAX_SECONDS
      ? [{ path: 'body.seconds', message: `at most ${limits.SYSTEM_HOG_MAX_SECONDS} (SYSTEM_HOG_MAX_SECONDS)` }]
      : [];
  }

  /** Keeps the list bounded: a long-running service forgets its oldest ended hogs. */
  function forgetOld(): void {
    const ended = entries.filter((entry) => entry.hog.state !== 'running');
    for (const entry of ended.slice(0, Math.max(0, ended.length - keepEnded)))
      entries.splice(entries.indexOf(entry), 1);
  }

  function track(hog: Hog, start: (hog: Hog) => HogRun): Hog {
    const run = start(hog);
    const entry: Entry = { hog, run, stopping: false, done: Promise.resolve() };
    entry.done = run.ended.then(
      (end) => finish(entry, end),
      (error: unknown) => finish(entry, { state: 'failed', error: messageOf(error) }),
    );
    entries.push(entry);
    forgetOld();
    logger.info({ hog }, 'hog started');
    return hog;
  }

  function finish(entry: Entry, end: HogEnd): void {
    const { hog } = entry;
    // A hog told to stop is "stopped", whatever its threads or child said on the way out.
    hog.state = entry.stopping ? 'stopped' : end.state;
    hog.error = !entry.stopping && end.state === 'failed' ? end.error : null;
    hog.endedAt = now().toISOString();
    logger.info({ hog }, 'hog ended');
  }

  function newHog(kind: Hog['kind'], seconds: number): Hog {
    const startedAt = now();
    return {
      id: randomUUID(),
      kind,
      state: 'running',
      startedAt: startedAt.toISOString(),
      endsAt: new Date(startedAt.getTime() + seconds * 1000).toISOString(),
      endedAt: null,
      error: null,
    };
  }

  async function stopAll(): Promise<Hog[]> {
    const running = runningEntries();
    for (const entry of running) {
      entry.stopping = true;
      entry.run.stop();
    }
    await Promise.all(running.map((entry) => entry.done));
    return entries.map((entry) => entry.hog);
  }

  return {
    settings,
    assertEnabled,
    startCpu({ workers, seconds }) {
      assertEnabled();
      const max = limits.SYSTEM_HOG_MAX_WORKERS;
      const free = max - runningWorkers();
      const problems = [...checkSeconds(seconds)];
      if (workers > max) problems.unshift({ path: 'body.workers', message: `at most ${max} (SYSTEM_HOG_MAX_WORKERS)` });
      else if (workers > free) {
        // The bound is on the threads running at once, or two requests would double it.
        problems.unshift({
          path: 'body.workers',
          message: `at most ${free} more while ${max - free} run (SYSTEM_HOG_MAX_WORKERS is ${max})`,
        });
      }
      if (problems.length > 0) throw invalidRequest(problems);
      return track({ ...newHog('cpu', seconds), workers }, () => runners.cpu({ workers, seconds }));
    },
    startMemory({ megabytes, seconds }) {
      assertEnabled();
      const max = limits.SYSTEM_HOG_MAX_MEGABYTES;
      const problems = [...checkSeconds(seconds)];
      if (megabytes > max)
        problems.unshift({ path: 'body.megabytes', message: `at most ${max} (SYSTEM_HOG_MAX_MEGABYTES)` });
      if (problems.length > 0) throw invalidRequest(problems);
      return track({ ...newHog('memory', seconds), megabytes, allocatedBytes: 0 }, (hog) =>
        runners.memory({ megabytes, seconds }, (bytes) => {
          hog.allocatedBytes = bytes;
        }),
      );
    },
    list: () => entries.map((entry) => ({ ...entry.hog })),
    running: (kind) => runningEntries().filter((entry) => entry.hog.kind === kind).length,
    stopAll: async () => (await stopAll()).map((hog) => ({ ...hog })),
    async close() {
      closed = true;
      await stopAll();
    },
  };
}
