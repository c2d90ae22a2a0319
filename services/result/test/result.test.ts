/**
 * The result service on both backends (PGlite, the PostgreSQL server): results read from the counts,
 * pushed after each committed batch, coalesced, with heartbeats, and a client forgotten when it goes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, parseConfig, type Service } from '@shipshape/platform';
import { dbBackends, waitFor, type OpenedDb } from '@shipshape/testkit';
import { createVotesStore, type VotesStore } from '@shipshape/votestore';
import { newVoterId } from '@shipshape/contracts';
import { createResultService, resultConfigSchema } from '@shipshape/result';

const logger = createLogger('result-test', 'silent');

/** Reads `GET /results/stream` into its events and its raw text. */
async function openStream(url: string) {
  const controller = new AbortController();
  const response = await fetch(`${url}/results/stream`, { signal: controller.signal });
  const events: Array<{ total: number; options: Array<{ id: string; votes: number }> }> = [];
  let text = '';
  void (async () => {
    try {
      for await (const chunk of response.body!) {
        text += Buffer.from(chunk as Uint8Array).toString();
        const blocks = text.split('\n\n');
        events.length = 0;
        for (const block of blocks) {
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (block.includes('event: results') && data) events.push(JSON.parse(data.slice(6)));
        }
      }
    } catch {
      // aborted
    }
  })();
  return { response, events, text: () => text, close: () => controller.abort() };
}

describe.each(await dbBackends('result'))('result service on $name', ({ enabled, open }) => {
  let opened: OpenedDb;
  let service: Service;
  let url: string;
  let store: VotesStore;
  let entry = 1;
  const vote = (option: string, voterId = newVoterId()) => ({ id: `${entry++}-0`, voterId, option, deliveries: 1 });
  const clients = async () =>
    Number(/result_stream_clients\{[^}]*\} (\d+)/.exec(await service.app.metrics.registry.metrics())?.[1]);

  beforeAll(async () => {
    if (!enabled) return;
    opened = await open();
    const config = parseConfig(resultConfigSchema, {
      VOTE_QUESTION: 'Tea or coffee?',
      VOTE_OPTIONS: 'tea=Tea,coffee=Coffee,none=Neither',
      RESULTS_HEARTBEAT_MS: '200',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    service = await createResultService({ config, logger, db: opened.db });
    url = await service.start(0, '127.0.0.1');
    store = createVotesStore(opened.db);
  });
  afterAll(async () => {
    await service?.close();
    await opened?.close();
  });

  it.skipIf(!enabled)('answers every option of the poll in its order, zero before any vote', async () => {
    expect(await (await fetch(`${url}/results`)).json()).toEqual({
      question: 'Tea or coffee?',
      total: 0,
      options: [
        { id: 'tea', label: 'Tea', votes: 0 },
        { id: 'coffee', label: 'Coffee', votes: 0 },
        { id: 'none', label: 'Neither', votes: 0 },
      ],
    });
  });

  it.skipIf(!enabled)('pushes the counts after a committed batch, with heartbeats between', async () => {
    const stream = await openStream(url);
    try {
      await waitFor('the first event', async () => stream.events.length === 1, 5_000, 10);
      await store.applyBatch([vote('coffee'), vote('coffee'), vote('tea')]);
      await waitFor('the update', async () => stream.events.at(-1)?.total === 3, 5_000, 10);
      expect(stream.events.at(-1)!.options.map((option) => option.votes)).toEqual([1, 2, 0]);
      await waitFor('a heartbeat', async () => stream.text().includes(': heartbeat'), 5_000, 20);
    } finally {
      stream.close();
    }
  });

  it.skipIf(!enabled)('sends one event per 100 ms at most while batches keep coming, ending on the last', async () => {
    const stream = await openStream(url);
    try {
      await waitFor('the first event', async () => stream.events.length === 1, 5_000, 10);
      const start = (await (await fetch(`${url}/results`)).json()) as { total: number };
      const started = Date.now();
      for (let n = 0; n < 40; n++) {
        await store.applyBatch([vote('none')]);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await waitFor('the last update', async () => stream.events.at(-1)?.total === start.total + 40, 5_000, 10);
      const elapsed = Date.now() - started;
      // The first event came at connect; the rest at most one per 100 ms, plus the last one.
      expect(stream.events.length - 1).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
      expect(stream.events.length - 1).toBeLessThan(40);
    } finally {
      stream.close();
    }
  });

  it.skipIf(!enabled)('forgets a client as soon as it goes away', async () => {
    const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(url)));
    await waitFor('20 clients', async () => (await clients()) === 20, 5_000, 10);
    for (const stream of streams) stream.close();
    await waitFor('no client left', async () => (await clients()) === 0, 2_000, 10);
  });

  it.skipIf(!enabled)('refuses a client that does not accept an event stream', async () => {
    const answer = await fetch(`${url}/results/stream`, { headers: { accept: 'application/json' } });
    expect(answer.status).toBe(406);
    expect(await answer.json()).toEqual({
      error: 'This stream is text/event-stream; the Accept header refuses it',
      details: [{ path: 'headers.accept', message: 'must admit text/event-stream' }],
    });
  });
});
