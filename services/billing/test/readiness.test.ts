/**
 * Billing's /ready tells the truth within 5 s of a partition and within 5 s of its end: the broker's or
 * the database's traffic frozen by a relay of the test's own (connections open, nothing answering), as a
 * network partition does, rather than cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDb, type Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { closeInOrder, createLogger, parseConfig, type Service } from '@shipshape/platform';
import { createAmqpQueue, createEmbeddedQueue, type MessageQueue } from '@shipshape/queue';
import {
  createTestDatabase,
  deleteQueues,
  postgresAvailable,
  rabbitMqAvailable,
  startTcpProxy,
  testServers,
  uniqueName,
  type TcpProxy,
  type TestDatabase,
} from '@shipshape/testkit';
import { billingConfigSchema, createBillingService } from '../src/service.js';

const logger = createLogger('billing-test', 'silent');
const [rabbitUp, postgresUp] = await Promise.all([rabbitMqAvailable(), postgresAvailable()]);

/** Polls /ready until `check` says `wanted` (ok or not), answering how long that took. */
async function msUntil(url: string, check: 'queue' | 'database', wanted: boolean, limitMs = 15_000) {
  const started = Date.now();
  for (;;) {
    const response = await fetch(`${url}/ready`);
    const body = (await response.json()) as { checks: Record<string, string> };
    if ((body.checks[check] === 'ok') === wanted) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`${check} still ${body.checks[check]} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function startBilling(
  db: Db,
  queue: MessageQueue,
  queueName: string,
): Promise<{ url: string; service: Service }> {
  const config = parseConfig(billingConfigSchema, { BILLING_QUEUE: queueName, METRICS_PORT: '0' });
  const service = await createBillingService({ config, logger, db, queue });
  return { service, url: await service.start(0, '127.0.0.1') };
}

describe.skipIf(!rabbitUp)('billing /ready with the broker partitioned', () => {
  let relay: TcpProxy;
  let db: Db;
  let queue: MessageQueue;
  let billing: { url: string; service: Service };
  const queueName = uniqueName('billing_ready');

  beforeAll(async () => {
    const broker = new URL(testServers.amqp);
    relay = await startTcpProxy(broker.hostname, Number(broker.port || 5672));
    db = await createPgliteDb();
    queue = createAmqpQueue({ url: relay.url('amqp', 'guest:guest'), logger });
    billing = await startBilling(db, queue, queueName);
  });
  afterAll(async () => {
    relay?.thaw();
    await closeInOrder([async () => billing?.service.close(), async () => queue?.close(), async () => db?.close()]);
    await relay?.close();
    await deleteQueues([queueName]);
  });

  it('says the queue is down within 5 s of the freeze, and ok within 5 s of the thaw', async () => {
    expect(await msUntil(billing.url, 'queue', true)).toBeLessThan(5_000);
    relay.freeze();
    const down = await msUntil(billing.url, 'queue', false);
    relay.thaw();
    const up = await msUntil(billing.url, 'queue', true);
    expect({ down: down < 5_000, up: up < 5_000 }).toEqual({ down: true, up: true });
  }, 40_000);
});

describe.skipIf(!postgresUp)('billing /ready with the database partitioned', () => {
  let relay: TcpProxy;
  let database: TestDatabase;
  let db: Db;
  let queueDb: Db;
  let queue: MessageQueue;
  let billing: { url: string; service: Service };

  beforeAll(async () => {
    database = await createTestDatabase('billing_ready');
    const url = new URL(database.url);
    relay = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.host = `127.0.0.1:${relay.port}`;
    db = createPgDb({ connectionString: url.toString(), maxConnections: 4, label: 'orders' });
    queueDb = await createPgliteDb();
    queue = await createEmbeddedQueue(queueDb);
    billing = await startBilling(db, queue, uniqueName('billing_ready'));
  });
  afterAll(async () => {
    relay?.thaw();
    await closeInOrder([
      async () => billing?.service.close(),
      async () => queue?.close(),
      async () => queueDb?.close(),
      async () => db?.close(),
    ]);
    await relay?.close();
    await database?.drop();
  });

  it('says the database is down within 5 s of the freeze, and ok within 5 s of the thaw', async () => {
    expect(await msUntil(billing.url, 'database', true)).toBeLessThan(5_000);
    relay.freeze();
    const down = await msUntil(billing.url, 'database', false);
    // Long enough for every pooled connection to be taken by a probe that hangs.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    relay.thaw();
    const up = await msUntil(billing.url, 'database', true);
    expect({ down: down < 5_000, up: up < 5_000 }).toEqual({ down: true, up: true });
  }, 40_000);
});
