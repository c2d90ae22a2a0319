/** Timed waits that `notify()` ends early: a back-off cut short by `stop()`, or a poll by a write. */
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

/**
 * One `Signal` per owner and name, e.g. per `Db` object and queue: writes made through any adapter on
 * the same owner wake that owner's idle readers at once (the embedded mode runs writer and reader in
 * one process); polling covers the rest.
 */
export function signalRegistry<Owner extends object>(): (owner: Owner, name: string) => Signal {
  const signals = new WeakMap<Owner, Map<string, Signal>>();
  return (owner, name) => {
    let byName = signals.get(owner);
    if (!byName) signals.set(owner, (byName = new Map()));
    let signal = byName.get(name);
    if (!signal) byName.set(name, (signal = new Signal()));
    return signal;
  };
}

/** `base`, doubled per earlier failure, capped at `max`: 1 failure → base, 2 → 2·base, … */
export function backoffDelay(base: number, max: number, failures: number): number {
  return Math.min(max, base * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}
