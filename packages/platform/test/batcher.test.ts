import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createBatcher } from '../src/batcher.js';

/** A send whose batches stay in flight until the test lets each go. */
function controlledSend<T>() {
  const batches: T[][] = [];
  const releases: Array<() => void> = [];
  return {
    batches,
    send: (batch: T[]) => {
      batches.push(batch);
      return new Promise<void>((resolve) => releases.push(resolve));
    },
    releaseNext: () => releases.shift()?.(),
  };
}

describe('createBatcher', () => {
  it('sends what one event-loop turn added as one batch, once the turn is over', async () => {
    const sent: number[][] = [];
    const batcher = createBatcher<number>({ send: (batch) => void sent.push(batch) });
    batcher.add(1);
    batcher.add(2);
    batcher.add(3);
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent).toEqual([[1, 2, 3]]);
    batcher.add(4);
    await nextTurn();
    expect(sent).toEqual([[1, 2, 3], [4]]);
  });

  it('sends a full batch at once and the rest after the turn', async () => {
    const sent: number[][] = [];
    const batcher = createBatcher<number>({ send: (batch) => void sent.push(batch), maxBatchSize: 2, maxInFlight: 10 });
    for (const item of [1, 2, 3, 4, 5]) batcher.add(item);
    expect(sent).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await nextTurn();
    expect(sent).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('with one batch in flight, gathers what arrives and sends it together the moment it is done', async () => {
    const { batches, send, releaseNext } = controlledSend<string>();
    const batcher = createBatcher<string>({ send });
    batcher.add('a');
    await nextTurn();
    expect(batches).toEqual([['a']]);
    batcher.add('b');
    await nextTurn();
    batcher.add('c');
    await sleep(5);
    expect(batches).toEqual([['a']]);
    expect(batcher.pending).toBe(2);
    releaseNext();
    await nextTurn();
    expect(batches).toEqual([['a'], ['b', 'c']]);
    expect(batcher.inFlight).toBe(1);
  });

  it('keeps to maxInFlight batches at once, and splits what waited by maxBatchSize', async () => {
    const { batches, send, releaseNext } = controlledSend<number>();
    const batcher = createBatcher<number>({ send, maxInFlight: 2, maxBatchSize: 3 });
    for (let item = 1; item <= 10; item += 1) batcher.add(item);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    releaseNext();
    await nextTurn();
    expect(batches).toHaveLength(3);
    expect(batches[2]).toEqual([7, 8, 9]);
    releaseNext();
    await nextTurn();
    expect(batches[3]).toEqual([10]);
    expect(batcher.pending).toBe(0);
  });

  it('lets an open batch wait maxWaitMs for more, unless it fills up first', async () => {
    const sent: number[][] = [];
    const batcher = createBatcher<number>({ send: (batch) => void sent.push(batch), maxWaitMs: 40, maxBatchSize: 3 });
    batcher.add(1);
    await sleep(10);
    batcher.add(2);
    expect(sent).toEqual([]);
    await sleep(60);
    expect(sent).toEqual([[1, 2]]);
    batcher.add(3);
    batcher.add(4);
    batcher.add(5);
    expect(sent).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('hands back what was not sent, and then sends nothing of it', async () => {
    const sent: number[][] = [];
    const batcher = createBatcher<number>({ send: (batch) => void sent.push(batch), maxWaitMs: 20 });
    batcher.add(1);
    batcher.add(2);
    expect(batcher.takePending()).toEqual([1, 2]);
    await sleep(40);
    expect(sent).toEqual([]);
  });

  it('flush() sends what waits without waiting for the turn', () => {
    const sent: string[][] = [];
    const batcher = createBatcher<string>({ send: (batch) => void sent.push(batch) });
    batcher.add('line');
    batcher.flush();
    expect(sent).toEqual([['line']]);
  });

  it('idle() resolves once no batch is in flight', async () => {
    const { send, releaseNext } = controlledSend<number>();
    const batcher = createBatcher<number>({ send });
    await batcher.idle();
    batcher.add(1);
    batcher.flush();
    let idle = false;
    void batcher.idle().then(() => (idle = true));
    await nextTurn();
    expect(idle).toBe(false);
    releaseNext();
    await nextTurn();
    expect(idle).toBe(true);
  });

  it('reports a failing send to onError and goes on with the next batch', async () => {
    const errors: Array<[unknown, number[]]> = [];
    const sent: number[][] = [];
    const batcher = createBatcher<number>({
      send: async (batch) => {
        if (batch.includes(1)) throw new Error('boom');
        sent.push(batch);
      },
      onError: (error, batch) => errors.push([error, batch]),
    });
    batcher.add(1);
    await nextTurn(); // the batch leaves at the end of the turn…
    await batcher.idle(); // …and has failed once the batcher is idle again
    batcher.add(2);
    await nextTurn();
    await batcher.idle();
    expect(errors.map(([error, batch]) => [(error as Error).message, batch])).toEqual([['boom', [1]]]);
    expect(sent).toEqual([[2]]);
  });

  it('refuses settings that could never send', () => {
    expect(() => createBatcher({ send: () => {}, maxBatchSize: 0 })).toThrow(RangeError);
    expect(() => createBatcher({ send: () => {}, maxInFlight: 0 })).toThrow(RangeError);
  });
});
