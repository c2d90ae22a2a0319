import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderListSchema, type Order } from '@shipshape/contracts';
import { createPgDb, type Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { closeInOrder, createLogger, parseConfig } from '@shipshape/platform';
import { createAmqpQueue, createEmbeddedQueue, type MessageQueue } from '@shipshape/queue';
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
import { billingConfigSchema, createBillingService } from '../src/service.js';

const logger = createLogger('billing-test', 'silent');
const [rabbitUp, postgresUp] = await Promise.all([rabbitMqAvailable(), postgresAvailable()]);
const consume = { BILLING_PREFETCH: '50', BILLING_BATCH_SIZE: '20', BILLING_BATCH_WAIT_MS: '10' };

/** A running billing service, and a second handle on its queue standing in for the gateway. */
interface Running {
  url: string;
  queueName: string;
  publisher: MessageQueue;
  dispose(): Promise<void>;
}

interface Backend {
  name: string;
  available: boolean;
  start(): Promise<Running>;
}

/** Billing on `db` and `queue`; `close()` closes the service, then the queue and database the test opened. */
async function run(db: Db, queue: MessageQueue, queueName: string) {
  const config = parseConfig(billingConfigSchema, { BILLING_QUEUE: queueName, METRICS_PORT: '0', ...consume });
  const service = await createBillingService({ config, logger, db, queue });
  const url = await service.start(0, '127.0.0.1');
  return { service, url, close: () => closeInOrder([() => service.close(), () => queue.close(), () => db.close()]) };
}

const backends: Backend[] = [
  {
    name: 'RabbitMQ and PostgreSQL',
    available: rabbitUp && postgresUp,
    async start() {
      const database = await createTestDatabase('billing_service');
      const queueName = uniqueName('billing');
      const db = createPgDb({ connectionString: database.url, maxConnections: 4 });
      const queue = createAmqpQueue({ url: testServers.amqp, logger, retryDelayMs: 50, maxRetryDelayMs: 200 });
      const billing = await run(db, queue, queueName);
      const publisher = createAmqpQueue({ url: testServers.amqp, logger });
      return {
        url: billing.url,
        queueName,
        publisher,
        async dispose() {
          await publisher.close();
          await billing.close();
          await deleteQueues([queueName]);
          await database.drop();
        },
      };
    },
  },
  {
    name: 'embedded queue and PGlite',
    available: true,
    async start() {
      const db = await createPgliteDb();
      const queueName = uniqueName('billing');
      const queue = await createEmbeddedQueue(db, { pollIntervalMs: 100, retryDelayMs: 50 });
      const billing = await run(db, queue, queueName);
      const publisher = await createEmbeddedQueue(db);
      return {
        url: billing.url,
        queueName,
        publisher,
        async dispose() {
          await publisher.close();
          await billing.close();
        },
      };
    },
  },
];

async function listOrders(url: string, query = ''): Promise<{ orders: Order[]; total: number }> {
  const response = await fetch(`${url}/orders${query}`);
  expect(response.status).toBe(200);
  return {
    orders: orderListSchema.parse(await response.json()),
    total: Number(response.headers.get('x-total-count')),
  };
}

async function publishOrder(running: Running, id: string, body: unknown, requestId = `req-${id}`): Promise<void> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  await running.publisher.publish(running.queueName, {
    id,
    body: Buffer.from(payload),
    headers: { 'x-request-id': requestId },
  });
}

const anOrder = { user_id: 3, number_of_items: 5, total_amount: 180 };

for (const backend of backends) {
  describe.skipIf(!backend.available)(`billing service: ${backend.name}`, () => {
    let running: Running;

    beforeAll(async () => {
      running = await backend.start();
    });

    afterAll(async () => {
      await running?.dispose();
    });

    it('is ready while its database and queue answer', async () => {
      const response = await fetch(`${running.url}/ready`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ checks: { database: 'ok', queue: 'ok' } });
    });

    it('stores published orders once each, including one delivered twice', async () => {
      await publishOrder(running, 'order-1', { user_id: 1, number_of_items: 2, total_amount: 19.99 });
      await publishOrder(running, 'order-2', anOrder);
      // The same message again, as after a publisher retry or a redelivery.
      await publishOrder(running, 'order-1', { user_id: 1, number_of_items: 2, total_amount: 19.99 });
      await publishOrder(running, 'order-3', anOrder);

      const { orders, total } = await waitFor('three orders', async () => {
        const listed = await listOrders(running.url);
        return listed.orders.some((o) => o.message_id === 'order-3') ? listed : undefined;
      });
      expect(total).toBe(3);
      expect(orders.map((o) => o.message_id).sort()).toEqual(['order-1', 'order-2', 'order-3']);
      expect(orders.find((o) => o.message_id === 'order-1')).toMatchObject({
        user_id: 1,
        number_of_items: 2,
        total_amount: 19.99,
      });
      await waitFor('the queue to drain', async () => (await running.publisher.depth(running.queueName)) === 0);
    });

    it('dead-letters malformed messages with the reason and goes on storing the good ones', async () => {
      await publishOrder(running, 'malformed-json', '{"user_id": ', 'req-broken');
      await publishOrder(running, 'malformed-order', { ...anOrder, user_id: 'three' });
      await publishOrder(running, 'after-the-bad-ones', anOrder);

      await waitFor('the good order after the bad ones', async () =>
        (await listOrders(running.url)).orders.some((o) => o.message_id === 'after-the-bad-ones'),
      );
      const deadLetters = await waitFor('two dead letters', async () => {
        const found = await running.publisher.peekDeadLetters(running.queueName, 10);
        return found.length >= 2 ? found : undefined;
      });
      expect(deadLetters.map((d) => d.id)).toEqual(['malformed-json', 'malformed-order']);
      expect(deadLetters[0]!.reason).toMatch(/^invalid JSON/);
      expect(deadLetters[0]!.body.toString()).toBe('{"user_id": ');
      expect(deadLetters[1]!.reason).toContain('user_id');
      const { orders } = await listOrders(running.url);
      expect(orders.some((o) => o.message_id.startsWith('malformed'))).toBe(false);
    });

    it('lists orders newest first, paginated, with X-Total-Count', async () => {
      for (const id of ['page-a', 'page-b', 'page-c']) {
        await publishOrder(running, id, anOrder);
        // One at a time, so each is stored after the one before.
        await waitFor(`${id} stored`, async () =>
          (await listOrders(running.url)).orders.some((o) => o.message_id === id),
        );
      }
      const all = await listOrders(running.url, '?limit=1000');
      expect(all.total).toBe(all.orders.length);
      expect(all.orders.slice(0, 3).map((o) => o.message_id)).toEqual(['page-c', 'page-b', 'page-a']);
      const times = all.orders.map((o) => Date.parse(o.created_at));
      expect(times).toEqual([...times].sort((a, b) => b - a));

      const page = await listOrders(running.url, '?limit=2&offset=1');
      expect(page.total).toBe(all.total);
      expect(page.orders).toEqual(all.orders.slice(1, 3));
    });

    it('answers 400 naming the parameter for a bad limit or offset', async () => {
      for (const query of ['?limit=0', '?limit=abc', '?offset=-1', '?limit=1001']) {
        const response = await fetch(`${running.url}/orders${query}`);
        expect(response.status).toBe(400);
        const body = (await response.json()) as { error: string };
        expect(body.error).toMatch(query.includes('limit') ? /limit/ : /offset/);
      }
    });
  });
}

describe.skipIf(!(rabbitUp && postgresUp))('billing service while its database is down', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let billing: Awaited<ReturnType<typeof run>> | undefined;
  let url: string;
  let publisher: MessageQueue;
  const queueName = uniqueName('billing_dbdown');

  beforeAll(async () => {
    database = await createTestDatabase('billing_dbdown');
    const server = new URL(testServers.postgres);
    proxy = await startTcpProxy(server.hostname, Number(server.port || 5432));
    const throughProxy = new URL(database.url);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);
    const db = createPgDb({
      connectionString: throughProxy.toString(),
      maxConnections: 2,
      connectionTimeoutMs: 1_000,
      label: 'orders',
    });
    const queue = createAmqpQueue({ url: testServers.amqp, logger, retryDelayMs: 50, maxRetryDelayMs: 200 });
    billing = await run(db, queue, queueName);
    url = billing.url;
    publisher = createAmqpQueue({ url: testServers.amqp, logger });
  });

  afterAll(async () => {
    await publisher?.close();
    await billing?.close();
    await proxy?.close();
    await deleteQueues([queueName]);
    await database?.drop();
  });

  /** Reads the orders table directly, not through the proxy billing uses. */
  async function storedMessageIds(): Promise<string[]> {
    const direct = createPgDb({ connectionString: database.url, maxConnections: 1 });
    try {
      const { rows } = await direct.query<{ message_id: string }>('SELECT message_id FROM orders ORDER BY id', []);
      return rows.map((row) => row.message_id);
    } finally {
      await direct.close();
    }
  }

  it('keeps the orders in the queue, then stores each once when the database is back', async () => {
    await proxy.cut();
    await waitFor('readiness to report the database down', async () => (await fetch(`${url}/ready`)).status === 503);
    // The order list cannot be read meanwhile: "try again later", not an internal error.
    const list = await fetch(`${url}/orders`);
    expect(list.status).toBe(503);
    expect(list.headers.get('retry-after')).toBe('5');
    expect(((await list.json()) as { error: string }).error).toBe(
      'The orders database is unavailable, try again later',
    );

    const ids = ['while-down-1', 'while-down-2', 'while-down-3'];
    for (const id of ids) await publishOrder({ url, queueName, publisher, dispose: async () => {} }, id, anOrder);
    // Give the consumer time to try (and fail) a few times.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await storedMessageIds()).toEqual([]);

    await proxy.restore();
    await waitFor('all orders stored', async () => (await storedMessageIds()).length === ids.length);
    expect((await storedMessageIds()).sort()).toEqual(ids);
    await waitFor('the queue to drain', async () => (await publisher.depth(queueName)) === 0);
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });
});
