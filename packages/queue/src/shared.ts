/** Header that carries why a message was dead-lettered (AMQP); the embedded queue keeps it in a column. */
export const DEAD_LETTER_REASON_HEADER = 'x-dead-letter-reason';
/**
 * Header that carries how many handlings of a message answered `retry` (AMQP): classic queues keep no
 * delivery count, so a retried message is published again with it raised by one; the embedded queue
 * keeps it in a column.
 */
export const ATTEMPTS_HEADER = 'x-shipshape-attempts';

/** `base`, doubled per earlier failure, capped at `max`: 1 failure → base, 2 → 2·base, … */
export function backoffDelay(base: number, max: number, failures: number): number {
  return Math.min(max, base * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}

/** Timed waits that `notify()` ends early: a consumer's back-off cut short by `stop()`, or a poll by a publish. */
export class Signal {
  private readonly waiters = new Set<() => void>();

  wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.waiters.add(finish);
    });
  }

  notify(): void {
    for (const finish of [...this.waiters]) finish();
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
