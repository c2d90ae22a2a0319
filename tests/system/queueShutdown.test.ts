/**
 * Shutdown is bounded with the broker partitioned: the gateway and billing processes, each connected
 * to RabbitMQ through a relay of the test's own, are sent SIGTERM while the relay holds all traffic
 * (connections open, nothing answering). Each exits 0 within its SHUTDOWN_TIMEOUT_MS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  deleteQueues,
  getFreePort,
  postgresAvailable,
  rabbitMqAvailable,
  startNodeProcess,
  startTcpProxy,
  testServers,
  uniqueName,
  waitFor,
  type TcpProxy,
  type TestDatabase,
} from '@shipshape/testkit';
import { request, scripts } from './stack.js';

const realServers = (await postgresAvailable()) && (await rabbitMqAvailable());
const SHUTDOWN_TIMEOUT_MS = 3_000;

describe.skipIf(!realServers)('SIGTERM with the broker partitioned (real servers)', () => {
  let relay: TcpProxy;
  let database: TestDatabase;
  let amqpUrl: string;
  const queueName = uniqueName('billing_queue_shutdown');

  beforeAll(async () => {
    const broker = new URL(testServers.amqp);
    relay = await startTcpProxy(broker.hostname, Number(broker.port || 5672));
    amqpUrl = relay.url('amqp', `${broker.username}:${broker.password}`);
    database = await createTestDatabase('shipshape_billing');
  });
  afterAll(async () => {
    relay?.thaw();
    await relay?.close();
    await database?.drop();
    await deleteQueues([queueName]);
  });

  it.each([
    ['gateway', () => ({ INVENTORY_URL: 'http://127.0.0.1:9', BILLING_URL: 'http://127.0.0.1:9' })],
    ['billing', () => ({ DATABASE_URL: database.url })],
  ] as const)(
    'stops the %s process with exit code 0 within SHUTDOWN_TIMEOUT_MS',
    async (name, env) => {
      relay.thaw();
      const port = await getFreePort();
      const url = `http://127.0.0.1:${port}`;
      const serviceEnv = {
        ...env(),
        AMQP_URL: amqpUrl,
        BILLING_QUEUE: queueName,
        PORT: String(port),
        HOST: '127.0.0.1',
        METRICS_PORT: String(await getFreePort()),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        PUBLISH_TIMEOUT_MS: '1000',
      };
      const service = await startNodeProcess(scripts[name], serviceEnv, `${url}/health`);
      try {
        await waitFor(`${name} to be connected to the broker`, async () => {
          const ready = await request(url, 'GET', '/ready');
          return ready.body?.checks?.queue === 'ok';
        });
        relay.freeze();
        if (name === 'gateway') {
          // A publish held in the partition, as a client's order would be.
          const held = await request(url, 'POST', '/api/billing', { user_id: 1, number_of_items: 1, total_amount: 1 });
          expect(held.status).toBe(503);
        }
        const started = Date.now();
        const code = await service.stop('SIGTERM');
        const elapsedMs = Date.now() - started;
        expect({ code, withinBound: elapsedMs < SHUTDOWN_TIMEOUT_MS }, service.output()).toEqual({
          code: 0,
          withinBound: true,
        });
      } finally {
        await service.kill();
      }
    },
    60_000,
  );
});
