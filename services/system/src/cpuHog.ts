import { Worker } from 'node:worker_threads';
import type { CpuHogRequest } from '@shipshape/contracts';
import { messageOf } from '@shipshape/platform';
import type { HogEnd, HogRun } from './hogs.js';

/** The compiled worker script beside this module (dist/cpuWorker.js). */
export const cpuWorkerScript = new URL('./cpuWorker.js', import.meta.url);

/**
 * Busy worker threads rather than child processes: threads of the service's own process are what its
 * cgroup quota throttles, and they are cheap to start and to stop (`terminate` interrupts a busy loop).
 */
export function runCpuHog({ workers, seconds }: CpuHogRequest, script: URL = cpuWorkerScript): HogRun {
  const endsAtMs = Date.now() + seconds * 1000;
  let failure: string | undefined;
  const threads = Array.from(
    { length: workers },
    // A small heap each: the loop allocates nothing, and the container's memory is for the memory hog.
    () => new Worker(script, { workerData: { endsAtMs }, resourceLimits: { maxOldGenerationSizeMb: 16 } }),
  );
  const exits = threads.map(
    (thread) =>
      new Promise<void>((resolve) => {
        thread.once('error', (error) => (failure ??= `a worker thread failed: ${messageOf(error)}`));
        thread.once('exit', () => resolve());
      }),
  );
  const ended: Promise<HogEnd> = Promise.all(exits).then(() =>
    failure === undefined ? { state: 'finished' } : { state: 'failed', error: failure },
  );
  return {
    ended,
    stop() {
      for (const thread of threads) void thread.terminate();
    },
  };
}
