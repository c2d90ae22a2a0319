import { fork } from 'node:child_process';
import type { MemoryHogRequest } from '@shipshape/contracts';
import { messageOf } from '@shipshape/platform';
import type { HogEnd, HogRun } from './hogs.js';

/** The compiled child script beside this module (dist/memoryChild.js). */
export const memoryChildScript = new URL('./memoryChild.js', import.meta.url);

export interface MemoryHogOptions {
  /** The container's OOM kill count (`memory.oom_control` / `memory.events`); null without cgroups. */
  oomKills: () => Promise<number | null>;
  script?: URL;
  /** Touched per step; small steps make the gauge climb visibly rather than jump. */
  stepMegabytes?: number;
  stepMs?: number;
  /** How long past its end time a child may take to exit before it is killed and called failed. */
  graceMs?: number;
}

const isProgress = (message: unknown): message is { allocatedBytes: number } =>
  typeof message === 'object' &&
  message !== null &&
  typeof (message as { allocatedBytes?: unknown }).allocatedBytes === 'number';

/**
 * A child process, not memory in the service: the kernel's OOM killer ends a process, so the one over
 * the limit must be one the service can lose. The child raises its own OOM score; the service watches
 * it die and tells an OOM kill (SIGKILL while the cgroup's OOM kill count grew) from any other end.
 */
export function runMemoryHog(
  { megabytes, seconds }: MemoryHogRequest,
  onAllocated: (bytes: number) => void,
  options: MemoryHogOptions,
): HogRun {
  const { oomKills, script = memoryChildScript, stepMegabytes = 16, stepMs = 100, graceMs = 5_000 } = options;
  const child = fork(script, [megabytes, seconds, stepMegabytes, stepMs].map(String), {
    // No inherited flags (a test runner's loaders, an inspector port): a plain node process.
    execArgv: [],
    env: {},
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  // Read as the child starts: it touches its first step only after stepMs.
  const oomKillsBefore = oomKills().catch(() => null);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
  child.on('message', (message) => {
    if (isProgress(message)) onAllocated(message.allocatedBytes);
  });
  let overran = false;
  const deadline = setTimeout(
    () => {
      overran = true;
      child.kill('SIGKILL');
    },
    seconds * 1000 + graceMs,
  );

  const ended = new Promise<HogEnd>((resolve) => {
    child.once('error', (error) => {
      // Fork failed (no such script, no process left): no exit follows when it never started.
      if (child.pid === undefined) {
        clearTimeout(deadline);
        resolve({ state: 'failed', error: `the child could not start: ${messageOf(error)}` });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(deadline);
      void classify(code, signal).then(resolve);
    });
  });

  async function classify(code: number | null, signal: NodeJS.Signals | null): Promise<HogEnd> {
    if (overran)
      return { state: 'failed', error: `the child did not exit by its end time; killed ${graceMs} ms later` };
    if (code === 0) return { state: 'finished' };
    if (signal === 'SIGKILL') {
      const before = await oomKillsBefore;
      const after = await oomKills().catch(() => null);
      if (before !== null && after !== null && after > before) return { state: 'killed: out of memory' };
      return { state: 'failed', error: 'the child was killed (SIGKILL), and the cgroup counts no new OOM kill' };
    }
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    return { state: 'failed', error: `the child ${how}${stderr.trim() ? `: ${stderr.trim()}` : ''}` };
  }

  return {
    ended,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
