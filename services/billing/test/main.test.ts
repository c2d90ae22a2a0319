import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createAmqpQueue } from '@shipshape/queue';
import { createLogger } from '@shipshape/platform';
import {
  createTestDatabase,
  deleteQueues,
  getFreePort,
  postgresAvailable,
  rabbitMqAvailable,
  startNodeProcess,
  testServers,
  uniqueName,
  waitFor,
  type TestDatabase,
  runToExit as runToExitOf,
} from '@shipshape/testkit';

const mainScript = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const [rabbitUp, postgresUp] = await Promise.all([rabbitMqAvailable(), postgresAvailable()]);

const runToExit = (env: Record<string, string | undefined>) => runToExitOf(mainScript, env);

describe('billing process', () => {
  it('exits 1 naming every missing or invalid variable', async () => {
    const { code, output } = await runToExit({ AMQP_URL: 'http://not-amqp', BILLING_BATCH_SIZE: 'lots' });
    expect(code).toBe(1);
    expect(output).toContain('DATABASE_URL is required');
    expect(output).toMatch(/AMQP_URL: must be a URL starting with amqp:\/\//);
    expect(output).toContain('BILLING_BATCH_SIZE');
  });
});

describe.skipIf(!(rabbitUp && postgresUp))('billing process on the real servers', () => {
  let database: TestDatabase | undefined;
  const queueName = uniqueName('billing_main');

  afterAll(async () => {
    await deleteQueues([queueName]);
    await database?.drop();
  });

  it('stores an order from the queue, answers /orders, and stops cleanly on SIGTERM', async () => {
    database = await createTestDatabase('billing_main');
    const port = await getFreePort();
    const billing = await startNodeProcess(
      mainScript,
      { DATABASE_URL: database.url, AMQP_URL: testServers.amqp, BILLING_QUEUE: queueName, PORT: String(port) },
      `http://127.0.0.1:${port}/health`,
    );
    const publisher = createAmqpQueue({ url: testServers.amqp, logger: createLogger('test', 'silent') });
    try {
      await publisher.publish(queueName, {
        id: 'from-main',
        body: Buffer.from(JSON.stringify({ user_id: 3, number_of_items: 5, total_amount: 180 })),
      });
      const orders = await waitFor('the order to be listed', async () => {
        const response = await fetch(`http://127.0.0.1:${port}/orders`);
        const body = (await response.json()) as Array<{ message_id: string }>;
        return body.length > 0 ? body : undefined;
      });
      expect(orders.map((o) => o.message_id)).toEqual(['from-main']);
      await publisher.close();
      expect(await billing.stop('SIGTERM')).toBe(0);
    } finally {
      await publisher.close();
      await billing.kill();
    }
  });
});
