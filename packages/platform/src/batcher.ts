/**
 * Gathers what arrives while a batch is being sent, then sends it together. Every batching path of
 * the system is this one mechanism with other settings: the gateway's movie lookups, inventory's
 * lookups by id, the log writer, the embedded queue's group commit and the consumers' batches
 * (docs/decisions/0003-request-collapser.md and 0005-one-write-log-batching.md say why each batches).
 *
 * - An item that finds no batch open opens one, which is sent after `maxWaitMs`, or at the end of the
 *   event-loop turn when that is 0, so that a lone item waits for nothing but the turn.
 * - A batch that reaches `maxBatchSize` goes at once.
 * - With `maxInFlight` batches being sent, what is due waits; the moment one is done, what gathered
 *   meanwhile goes (it has waited long enough already).
 */
export interface BatcherOptions<T> {
  /**
   * Sends one batch of at most `maxBatchSize` items, in the order they were added. It settles each
   * item itself (resolving or rejecting whoever waits for it); a rejection goes to `onError`.
   */
  send(batch: T[]): void | Promise<void>;
  /** Most items in one batch; default unbounded. */
  maxBatchSize?: number;
  /** Most batches being sent at once; default 1. */
  maxInFlight?: number;
  /** How long an open batch waits for more items; 0 (the default) waits for the end of the turn. */
  maxWaitMs?: number;
  /** Where a `send` that throws or rejects is reported; by default it is rethrown as an uncaught error. */
  onError?(error: unknown, batch: T[]): void;
}

export interface Batcher<T> {
  add(item: T): void;
  /** Sends what is waiting now, as far as `maxInFlight` allows (the log writer before the process exits). */
  flush(): void;
  /** Removes and answers every item not yet sent (a consumer whose channel closed drops them). */
  takePending(): T[];
  /** Resolves once no batch is being sent. */
  idle(): Promise<void>;
  /** Items waiting to be sent. */
  readonly pending: number;
  /** Batches being sent. */
  readonly inFlight: number;
}

export function createBatcher<T>(options: BatcherOptions<T>): Batcher<T> {
  const maxBatchSize = options.maxBatchSize ?? Number.POSITIVE_INFINITY;
  const maxInFlight = options.maxInFlight ?? 1;
  const maxWaitMs = options.maxWaitMs ?? 0;
  const onError =
    options.onError ??
    ((error: unknown) => {
      setImmediate(() => {
        throw error;
      });
    });
  if (!(maxBatchSize >= 1) || !(maxInFlight >= 1) || !(maxWaitMs >= 0)) {
    throw new RangeError('createBatcher: maxBatchSize and maxInFlight must be at least 1, maxWaitMs at least 0');
  }

  let items: T[] = [];
  let inFlight = 0;
  /** True once the open batch has waited its time (or a batch just finished): it goes when it can. */
  let due = false;
  let wait: NodeJS.Immediate | NodeJS.Timeout | undefined;
  let idleWaiters: Array<() => void> = [];

  const onWaitOver = () => {
    wait = undefined;
    due = true;
    flush();
  };

  function cancelWait(): void {
    if (wait === undefined) return;
    if (maxWaitMs === 0) clearImmediate(wait as NodeJS.Immediate);
    else clearTimeout(wait as NodeJS.Timeout);
    wait = undefined;
  }

  function flush(): void {
    while (items.length > 0 && inFlight < maxInFlight && (due || items.length >= maxBatchSize)) {
      const batch = items.length <= maxBatchSize ? items : items.slice(0, maxBatchSize);
      items = batch === items ? [] : items.slice(batch.length);
      // What is left over has waited as long as this batch: it goes as soon as it may.
      due = items.length > 0;
      if (items.length === 0) cancelWait();
      send(batch);
    }
  }

  function send(batch: T[]): void {
    inFlight += 1;
    let result: void | Promise<void>;
    try {
      result = options.send(batch);
    } catch (error) {
      onError(error, batch);
      done();
      return;
    }
    if (result && typeof result.then === 'function') {
      result.then(done, (error: unknown) => {
        onError(error, batch);
        done();
      });
    } else {
      done();
    }
  }

  function done(): void {
    inFlight -= 1;
    if (items.length > 0) {
      due = true;
      flush();
    }
    if (inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  return {
    add(item) {
      items.push(item);
      if (items.length === 1 && !due) {
        wait = maxWaitMs === 0 ? setImmediate(onWaitOver) : setTimeout(onWaitOver, maxWaitMs);
      }
      if (items.length >= maxBatchSize || due) flush();
    },
    flush() {
      due = items.length > 0;
      flush();
    },
    takePending() {
      const taken = items;
      items = [];
      due = false;
      cancelWait();
      return taken;
    },
    idle() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    get pending() {
      return items.length;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
