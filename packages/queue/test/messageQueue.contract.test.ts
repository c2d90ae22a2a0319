import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDb, type Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createLogger } from '@shipshape/platform';
import {
  createAmqpQueue,
  createEmbeddedQueue,
  deadLetterQueueName,
  QueueUnavailableError,
  type BatchHandler,
  type ConsumeOptions,
  type Consumer,
  type Delivery,
  type MessageQueue,
} from '@shipshape/queue';
import {
  createTestDatabase,
  deleteQueues,
  postgresAvailable,
  rabbitMqAvailable,
  startTcpProxy,
  testServers,
  uniqueName,
  waitFor,
  type TcpProxy,
  type TestDatabase,
} from '@shipshape/testkit';

const logger = createLogger('queue-test', 'silent');
const [rabbitUp, postgresUp] = await Promise.all([rabbitMqAvailable(), postgresAvailable()]);

/** Short back-offs keep the failure cases quick; the behaviour is the same as with the defaults. */
const retry = { retryDelayMs: 50, maxRetryDelayMs: 200 };
const batching: ConsumeOptions = { prefetch: 20, maxBatchSize: 10, maxBatchWaitMs: 50 };

/**
 * Where a queue keeps its messages. `open()` gives a fresh handle on the same store each time, so
 * closing one and opening another is a restart; `dispose()` removes everything the test created.
 */
interface Store {
  open(): Promise<MessageQueue>;
  dispose(queues: string[]): Promise<void>;
}

interface Backend {
  name: string;
  available: boolean;
  store(): Promise<Store>;
}

/** A queue together with the database it runs on, closed together like a process that exits. */
function owning(queue: MessageQueue, db: Db): MessageQueue {
  return {
    ...queue,
    async close() {
      await queue.close();
      await db.close();
    },
  };
}

let sharedDatabase: TestDatabase | undefined;

const backends: Backend[] = [
  {
    name: 'RabbitMQ (amqp)',
    available: rabbitUp,
    async store() {
      return {
        open: async () => createAmqpQueue({ url: testServers.amqp, logger, ...retry }),
        dispose: (queues) => deleteQueues(queues),
      };
    },
  },
  {
    name: 'embedded on PGlite (data directory)',
    available: true,
    async store() {
      const dataDir = await mkdtemp(join(tmpdir(), 'shipshape-queue-'));
      return {
        async open() {
          const db = await createPgliteDb(dataDir);
          return owning(await createEmbeddedQueue(db, { pollIntervalMs: 100, exclusive: true, ...retry }), db);
        },
        dispose: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'embedded on PGlite (in memory)',
    available: true,
    async store() {
      // In memory there is no reopening a store; handles share one database that outlives them.
      const db = await createPgliteDb();
      return {
        open: () => createEmbeddedQueue(db, { pollIntervalMs: 100, ...retry }),
        dispose: () => db.close(),
      };
    },
  },
  {
    name: 'embedded on PostgreSQL',
    available: postgresUp,
    async store() {
      sharedDatabase ??= await createTestDatabase('queue_contract');
      const url = sharedDatabase.url;
      return {
        async open() {
          const db = createPgDb({ connectionString: url, maxConnections: 4 });
          return owning(await createEmbeddedQueue(db, { pollIntervalMs: 100, ...retry }), db);
        },
        dispose: async () => {},
      };
    },
  },
];

afterAll(async () => {
  await sharedDatabase?.drop();
});

function message(id: string, text: string, headers?: Record<string, string>) {
  return { id, body: Buffer.from(text), headers };
}

/** Records every batch a consumer is handed; acknowledges all unless `decide` says otherwise. */
function recorder(decide: BatchHandler = async (deliveries) => deliveries.map(() => ({ type: 'ack' as const }))) {
  const batches: Delivery[][] = [];
  const handler: BatchHandler = async (deliveries) => {
    batches.push(deliveries);
    return decide(deliveries);
  };
  return { batches, handler, all: () => batches.flat() };
}

for (const backend of backends) {
  describe.skipIf(!backend.available)(`MessageQueue contract: ${backend.name}`, () => {
    let store: Store;
    let queue: MessageQueue;
    const queues: string[] = [];
    const consumers: Consumer[] = [];

    function newQueueName(): string {
      const name = uniqueName('contract');
      queues.push(name);
      return name;
    }

    async function consume(name: string, handler: BatchHandler, options: ConsumeOptions = batching) {
      const consumer = await queue.consume(name, handler, options);
      consumers.push(consumer);
      return consumer;
    }

    beforeAll(async () => {
      store = await backend.store();
      queue = await store.open();
    });

    afterAll(async () => {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await queue.close();
      await store.dispose(queues);
    });

    it('delivers what was published, with its id, body and headers', async () => {
      const name = newQueueName();
      await queue.publish(name, message('m-1', 'first', { 'x-request-id': 'req-1' }));
      await queue.publish(name, message('m-2', '{"json":true}'));
      const seen = recorder();
      await consume(name, seen.handler);

      await waitFor('two deliveries', async () => seen.all().length >= 2);
      const deliveries = seen.all();
      expect(deliveries.map((d) => d.id)).toEqual(['m-1', 'm-2']);
      expect(deliveries.map((d) => d.body.toString())).toEqual(['first', '{"json":true}']);
      expect(deliveries[0]!.headers['x-request-id']).toBe('req-1');
      expect(deliveries.every((d) => !d.redelivered)).toBe(true);
      await waitFor('acked messages to leave the queue', async () => (await queue.depth(name)) === 0);
    });

    it('hands over batches no larger than maxBatchSize, each message once', async () => {
      const name = newQueueName();
      const ids = Array.from({ length: 25 }, (_, i) => `b-${i}`);
      await Promise.all(ids.map((id) => queue.publish(name, message(id, id))));
      const seen = recorder();
      await consume(name, seen.handler);

      await waitFor('25 deliveries', async () => seen.all().length >= 25);
      expect(Math.max(...seen.batches.map((batch) => batch.length))).toBeLessThanOrEqual(10);
      // Messages already waiting are grouped rather than handed over one by one.
      expect(Math.max(...seen.batches.map((batch) => batch.length))).toBeGreaterThan(1);
      expect(
        seen
          .all()
          .map((d) => d.id)
          .sort(),
      ).toEqual([...ids].sort());
    });

    it('counts waiting messages in depth()', async () => {
      const name = newQueueName();
      expect(await queue.depth(name)).toBe(0);
      for (const id of ['d-1', 'd-2', 'd-3']) await queue.publish(name, message(id, id));
      await waitFor('depth 3', async () => (await queue.depth(name)) === 3);
      const seen = recorder();
      await consume(name, seen.handler);
      await waitFor('depth 0 once consumed', async () => (await queue.depth(name)) === 0 && seen.all().length === 3);
    });

    it('keeps published messages across a close and a reopen', async () => {
      const name = newQueueName();
      await queue.publish(name, message('durable-1', 'kept'));
      await queue.publish(name, message('durable-2', 'kept too'));
      // Like a process that exits: a store on disk may be opened by one handle at a time.
      await queue.close();
      queue = await store.open();

      const seen = recorder();
      await consume(name, seen.handler);
      await waitFor('both messages after reopening', async () => seen.all().length >= 2);
      expect(seen.all().map((d) => d.id)).toEqual(['durable-1', 'durable-2']);
    });

    it('delivers again, marked redelivered, what a failing consumer did not acknowledge', async () => {
      const name = newQueueName();
      await queue.publish(name, message('r-1', 'again'));
      let attempts = 0;
      const failing = await queue.consume(
        name,
        async () => {
          attempts += 1;
          throw new Error('database down');
        },
        batching,
      );
      await waitFor('the failing handler to run twice', async () => attempts >= 2);
      await failing.stop();
      const attemptsWhenStopped = attempts;

      const seen = recorder();
      await consume(name, seen.handler);
      await waitFor('the message again', async () => seen.all().length >= 1);
      expect(seen.all()[0]).toMatchObject({ id: 'r-1', redelivered: true });
      expect(seen.all()[0]!.body.toString()).toBe('again');
      expect(attempts).toBe(attemptsWhenStopped);
      await waitFor('the queue to be empty', async () => (await queue.depth(name)) === 0);
    });

    it('dead-letters with the reason, acknowledges, and goes on', async () => {
      const name = newQueueName();
      await queue.publish(name, message('ok-1', 'good'));
      await queue.publish(name, message('bad-1', 'not json {', { 'x-request-id': 'req-bad' }));
      await queue.publish(name, message('ok-2', 'good'));
      const seen = recorder(async (deliveries) =>
        deliveries.map((d) =>
          d.body.toString() === 'good'
            ? { type: 'ack' as const }
            : { type: 'dead-letter' as const, reason: 'invalid JSON: unexpected end' },
        ),
      );
      await consume(name, seen.handler);

      await waitFor('three deliveries', async () => seen.all().length >= 3);
      const deadLetters = await waitFor('the dead letter', async () => {
        const found = await queue.peekDeadLetters(name, 10);
        return found.length > 0 ? found : undefined;
      });
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0]).toMatchObject({ id: 'bad-1', reason: 'invalid JSON: unexpected end' });
      expect(deadLetters[0]!.body.toString()).toBe('not json {');
      // Peeking leaves the dead letters in place.
      expect(await queue.peekDeadLetters(name, 10)).toHaveLength(1);
      await waitFor('the queue to be empty', async () => (await queue.depth(name)) === 0);
      // Dead letters are not handed to the queue's consumer again.
      expect(seen.all().map((d) => d.id)).toEqual(['ok-1', 'bad-1', 'ok-2']);
    });

    it('hands a retried delivery back at most maxAttempts times, across a restart, then dead-letters it', async () => {
      const name = newQueueName();
      const options: ConsumeOptions = { ...batching, maxAttempts: 3 };
      const refuse = (d: Delivery) => d.body.toString() === 'refused';
      const decide: BatchHandler = async (deliveries) =>
        deliveries.map((d) =>
          refuse(d) ? { type: 'retry' as const, reason: 'violates check constraint' } : { type: 'ack' as const },
        );
      await queue.publish(name, message('fine-1', 'fine'));
      await queue.publish(name, message('refused-1', 'refused', { 'x-request-id': 'req-refused' }));
      await queue.publish(name, message('fine-2', 'fine'));

      const first = recorder(decide);
      const before = await queue.consume(name, first.handler, options);
      await waitFor('the refused one to be handled once', async () => first.all().some(refuse));
      await before.stop();
      // Like a process that exits: what it counted must survive it.
      await queue.close();
      queue = await store.open();

      const second = recorder(decide);
      await consume(name, second.handler, options);
      const deadLetters = await waitFor('the dead letter', async () => {
        const found = await queue.peekDeadLetters(name, 10);
        return found.length > 0 ? found : undefined;
      });
      expect(deadLetters).toEqual([
        { id: 'refused-1', body: Buffer.from('refused'), reason: expect.stringContaining('violates check constraint') },
      ]);
      const refusedAttempts = [...first.all(), ...second.all()].filter(refuse).map((d) => d.attempts);
      expect(refusedAttempts).toEqual([0, 1, 2]);
      // The others were acknowledged once each, not held behind the refused one.
      expect(
        [...first.all(), ...second.all()]
          .filter((d) => !refuse(d))
          .map((d) => d.id)
          .sort(),
      ).toEqual(['fine-1', 'fine-2']);
      await waitFor('the queue to be empty', async () => (await queue.depth(name)) === 0);
    });

    it('answers check() while its store is reachable', async () => {
      await expect(queue.check()).resolves.toBeUndefined();
    });
  });
}

describe.skipIf(!rabbitUp)('AMQP adapter', () => {
  const queues: string[] = [];
  afterAll(async () => {
    await deleteQueues(queues);
  });

  it('rejects a publish with QueueUnavailableError when nothing listens at the URL', async () => {
    const queue = createAmqpQueue({ url: 'amqp://guest:guest@127.0.0.1:1', logger, publishTimeoutMs: 2_000 });
    try {
      await expect(queue.publish('nowhere', message('x', 'x'))).rejects.toBeInstanceOf(QueueUnavailableError);
      // Once known to be down, it answers at once rather than waiting for another attempt.
      await expect(queue.publish('nowhere', message('y', 'y'))).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(queue.check()).rejects.toBeInstanceOf(QueueUnavailableError);
    } finally {
      await queue.close();
    }
  });

  it('declares the queue and its dead-letter queue as durable classic queues of version 2', async () => {
    const name = uniqueName('amqp_declare');
    queues.push(name);
    const queue = createAmqpQueue({ url: testServers.amqp, logger });
    try {
      await queue.publish(name, message('m', 'm'));
      const amqp = await import('amqplib');
      const connection = await amqp.connect(testServers.amqp);
      try {
        const channel = await connection.createChannel();
        // Declaring with the same arguments succeeds only if the existing queue has exactly these.
        const declared = { durable: true, arguments: { 'x-queue-version': 2 } };
        await expect(channel.assertQueue(name, declared)).resolves.toMatchObject({ messageCount: 1 });
        await expect(channel.assertQueue(deadLetterQueueName(name), declared)).resolves.toBeTruthy();
        const got = await channel.get(name, { noAck: true });
        expect(got && got.properties.deliveryMode).toBe(2);
      } finally {
        await connection.close();
      }
    } finally {
      await queue.close();
    }
  });

  it('confirms and delivers in order many messages published in one turn (their frames sent together)', async () => {
    const name = uniqueName('amqp_turn');
    queues.push(name, deadLetterQueueName(name));
    const queue = createAmqpQueue({ url: testServers.amqp, logger, publishTimeoutMs: 5_000 });
    const seen = recorder();
    try {
      await queue.publish(name, message('first', 'first'));
      const ids = Array.from({ length: 500 }, (_, index) => `m-${index}`);
      await Promise.all(ids.map((id) => queue.publish(name, message(id, id))));
      // And again right after, while the frames of the turn before may still be on their way.
      await Promise.all(['last-1', 'last-2'].map((id) => queue.publish(name, message(id, id))));
      const consumer = await queue.consume(name, seen.handler, {
        prefetch: 600,
        maxBatchSize: 600,
        maxBatchWaitMs: 20,
      });
      await waitFor('every message', async () => seen.all().length === 503);
      await consumer.stop();
      expect(seen.all().map((delivery) => delivery.id)).toEqual(['first', ...ids, 'last-1', 'last-2']);
    } finally {
      await queue.close();
    }
  });

  it('uses a queue declared earlier with other arguments as it is, and says so', async () => {
    const name = uniqueName('amqp_earlier');
    queues.push(name, deadLetterQueueName(name));
    const amqp = await import('amqplib');
    const connection = await amqp.connect(testServers.amqp);
    const lines: string[] = [];
    const { pino } = await import('pino');
    const warnings = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const queue = createAmqpQueue({ url: testServers.amqp, logger: warnings, ...retry });
    try {
      // As a version before classic queue version 2 left them, with an order still waiting.
      const channel = await connection.createChannel();
      await channel.assertQueue(name, { durable: true });
      await channel.assertQueue(deadLetterQueueName(name), { durable: true });
      channel.sendToQueue(name, Buffer.from('waiting'), { persistent: true, messageId: 'earlier' });
      await channel.close();

      const seen = recorder();
      const consumer = await queue.consume(name, seen.handler, batching);
      await queue.publish(name, message('later', 'later'));
      await waitFor('both messages', async () => seen.all().length === 2);
      expect(seen.all().map((delivery) => delivery.id)).toEqual(['earlier', 'later']);
      expect(await queue.depth(name)).toBe(0);
      await consumer.stop();
      expect(lines.join('')).toContain(`"queue":"${name}"`);
      expect(lines.join('')).toContain('queue exists with other arguments');
    } finally {
      await queue.close();
      await connection.close();
    }
  });

  it('reconnects by itself after the broker comes back, and its consumer goes on', async () => {
    const broker = new URL(testServers.amqp);
    const proxy = await startTcpProxy(broker.hostname, Number(broker.port || 5672));
    const name = uniqueName('amqp_reconnect');
    queues.push(name);
    const queue = createAmqpQueue({
      url: proxy.url('amqp', 'guest:guest'),
      logger,
      publishTimeoutMs: 2_000,
      reconnectDelayMs: 50,
      maxReconnectDelayMs: 200,
    });
    const seen = recorder();
    const consumer = await queue.consume(name, seen.handler, batching);
    try {
      await queue.publish(name, message('before', 'before'));
      await waitFor('the first message', async () => seen.all().length >= 1);

      await proxy.cut();
      await expect(queue.publish(name, message('during', 'during'))).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(queue.check()).rejects.toBeInstanceOf(QueueUnavailableError);

      await proxy.restore();
      await waitFor('the queue to reconnect', async () => {
        await queue.check();
        return true;
      });
      await waitFor('a publish after the outage to be confirmed', async () => {
        await queue.publish(name, message('after', 'after'));
        return true;
      });
      await waitFor('the consumer to receive it', async () => seen.all().some((d) => d.id === 'after'));
      expect(seen.all().some((d) => d.id === 'during')).toBe(false);
    } finally {
      await consumer.stop();
      await queue.close();
      await proxy.close();
    }
  });
});

describe.skipIf(!rabbitUp)('AMQP adapter with the broker partitioned (a frozen relay)', () => {
  const queues: string[] = [];
  const relays: TcpProxy[] = [];
  afterAll(async () => {
    for (const relay of relays) relay.thaw();
    await Promise.all(relays.map((relay) => relay.close()));
    await deleteQueues(queues);
  });

  async function relayed(extra: Partial<Parameters<typeof createAmqpQueue>[0]> = {}) {
    const broker = new URL(testServers.amqp);
    const relay = await startTcpProxy(broker.hostname, Number(broker.port || 5672));
    relays.push(relay);
    const queue = createAmqpQueue({ url: relay.url('amqp', 'guest:guest'), logger, ...extra });
    await waitFor('the first connection', async () => {
      await queue.check();
      return true;
    });
    return { relay, queue };
  }

  /** How long until check() settles as `wanted` (true: resolves), polling as a probe would. */
  async function msUntilCheck(queue: MessageQueue, wanted: boolean): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < 15_000) {
      const ok = await queue.check().then(
        () => true,
        () => false,
      );
      if (ok === wanted) return Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Infinity;
  }

  it('fails check() within 5 s of the freeze and passes it within 5 s of the thaw', async () => {
    const { relay, queue } = await relayed();
    try {
      relay.freeze();
      const down = await msUntilCheck(queue, false);
      relay.thaw();
      const up = await msUntilCheck(queue, true);
      expect({ down: down < 5_000, up: up < 5_000 }).toEqual({ down: true, up: true });
    } finally {
      relay.thaw();
      await queue.close();
    }
  }, 40_000);

  it('fails check() at once after a publish whose confirm did not come in time', async () => {
    const name = uniqueName('amqp_frozen_publish');
    queues.push(name, deadLetterQueueName(name));
    const { relay, queue } = await relayed({ publishTimeoutMs: 1_000 });
    try {
      await queue.publish(name, message('before', 'before'));
      relay.freeze();
      await expect(queue.publish(name, message('held', 'held'))).rejects.toBeInstanceOf(QueueUnavailableError);
      const started = Date.now();
      await expect(queue.check()).rejects.toBeInstanceOf(QueueUnavailableError);
      expect(Date.now() - started).toBeLessThan(500);
      relay.thaw();
      expect(await msUntilCheck(queue, true)).toBeLessThan(5_000);
    } finally {
      relay.thaw();
      await queue.close();
    }
  }, 40_000);

  it("bounds a consumer's stop() and close() on a frozen broker, then abandons the connection", async () => {
    const name = uniqueName('amqp_frozen_close');
    queues.push(name, deadLetterQueueName(name));
    const lines: string[] = [];
    const { pino } = await import('pino');
    const warnings = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const { relay, queue } = await relayed({ closeTimeoutMs: 1_000, logger: warnings });
    const consumer = await queue.consume(name, recorder().handler, batching);
    relay.freeze();
    const started = Date.now();
    await consumer.stop();
    const stopMs = Date.now() - started;
    await queue.close();
    const totalMs = Date.now() - started;
    // One bound for the consumer's channel, one for the connection; well below a hang.
    expect({ stopMs: stopMs < 2_500, totalMs: totalMs < 4_000 }).toEqual({ stopMs: true, totalMs: true });
    expect(lines.join('')).toContain('abandoning');
  }, 40_000);
});

describe('embedded queue', () => {
  it('gives back the deliveries of a consumer that vanished once their lease ends', async () => {
    const db = await createPgliteDb();
    const name = uniqueName('lease');
    const crashed = await createEmbeddedQueue(db, { pollIntervalMs: 50, leaseMs: 300 });
    const survivor = await createEmbeddedQueue(db, { pollIntervalMs: 50, leaseMs: 300 });
    let release: () => void = () => {};
    const hung = new Promise<void>((resolve) => (release = resolve));
    let taken = 0;
    const stuck = await crashed.consume(
      name,
      async (deliveries) => {
        taken += deliveries.length;
        await hung; // a process that stopped mid-batch
        return deliveries.map(() => ({ type: 'ack' as const }));
      },
      batching,
    );
    try {
      await crashed.publish(name, message('lost-1', 'x'));
      await waitFor('the first consumer to take it', async () => taken === 1);
      const seen = recorder();
      const consumer = await survivor.consume(name, seen.handler, batching);
      await waitFor('redelivery after the lease', async () => seen.all().length >= 1);
      expect(seen.all()[0]).toMatchObject({ id: 'lost-1', redelivered: true });
      await consumer.stop();
    } finally {
      release();
      await stuck.stop();
      await db.close();
    }
  });
});
