/**
 * What "accepted" means, checked against the real PostgreSQL and RabbitMQ with a process per service:
 * a billing process killed midway loses nothing and stores nothing twice; orders accepted while billing
 * is down are stored when it comes back; a broker that cannot be reached gets a 503, never a hang.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, testServers, waitFor, type TcpProxy } from '@shipshape/testkit';
import {
  listAllOrders,
  postOrders,
  request,
  startNativeStack,
  storedOrderCount,
  type NativeStack,
  realServersAvailable,
} from './stack.js';

const realServers = await realServersAvailable();

async function countStoredRows(databaseUrl: string): Promise<{ rows: number; distinct: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ rows: string; distinct: string }>(
      'SELECT count(*) AS rows, count(DISTINCT message_id) AS distinct FROM orders',
    );
    return { rows: Number(rows[0]!.rows), distinct: Number(rows[0]!.distinct) };
  } finally {
    await client.end();
  }
}

describe.skipIf(!realServers)('accepted orders survive failures (real servers)', () => {
  let stack: NativeStack;

  beforeAll(async () => {
    stack = await startNativeStack();
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('stores exactly 2,000 orders when billing is killed with SIGKILL midway and started again', async () => {
    let killed: Promise<void> | undefined;
    const { accepted, statuses } = await postOrders(stack.gatewayUrl, 2_000, {
      concurrency: 25,
      afterEach: (posted) => {
        if (posted === 1_000) {
          killed = (async () => {
            await stack.billing.kill();
            await stack.billing.start();
          })();
        }
      },
    });
    await killed;
    expect(statuses.filter((status) => status !== 202)).toEqual([]);
    expect(new Set(accepted).size).toBe(2_000);

    await waitFor(
      'all 2,000 orders to be stored',
      async () => (await countStoredRows(stack.billingDatabase.url)).rows >= 2_000,
      120_000,
      250,
    );
    // Let any redelivery that was still on its way land, then count again: none may be stored twice.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await countStoredRows(stack.billingDatabase.url)).toEqual({ rows: 2_000, distinct: 2_000 });
    const stored = await listAllOrders(stack.gatewayUrl);
    expect(new Set(stored.map((order) => order.message_id))).toEqual(new Set(accepted));
  }, 240_000);

  it('stores every order accepted while billing was stopped once billing starts again (audit scenario)', async () => {
    const before = await storedOrderCount(stack.gatewayUrl);
    await stack.billing.stop();
    const { accepted, statuses } = await postOrders(stack.gatewayUrl, 50, { concurrency: 5 });
    expect(statuses).toEqual(Array(50).fill(202));
    // Nothing can be stored while billing is down: the gateway says so for /api/orders.
    const unavailable = await request(stack.gatewayUrl, 'GET', '/api/orders');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBeTruthy();

    await stack.billing.start();
    await waitFor(
      'the 50 orders to be stored',
      async () => (await storedOrderCount(stack.gatewayUrl)) === before + 50,
      60_000,
    );
    const stored = new Set((await listAllOrders(stack.gatewayUrl)).map((order) => order.message_id));
    for (const id of accepted) expect(stored.has(id)).toBe(true);
  }, 120_000);
});

describe.skipIf(!realServers)('broker unreachable (real servers)', () => {
  let stack: NativeStack;
  let brokerRelay: TcpProxy;

  beforeAll(async () => {
    const amqp = new URL(testServers.amqp);
    brokerRelay = await startTcpProxy(amqp.hostname, Number(amqp.port || 5672));
    const credentials = `${amqp.username}:${amqp.password}`;
    stack = await startNativeStack({ amqpUrlForGateway: brokerRelay.url('amqp', credentials) });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await brokerRelay?.close();
  });

  it('answers 503 with Retry-After within a bounded time, stores nothing, and recovers', async () => {
    const before = await storedOrderCount(stack.gatewayUrl);
    await brokerRelay.cut();

    const started = Date.now();
    const refused = await request(stack.gatewayUrl, 'POST', '/api/billing', {
      user_id: 1,
      number_of_items: 1,
      total_amount: 1,
    });
    const elapsedMs = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.error).toMatch(/unavailable|broker|queue/i);
    // Bounded: well under the client's patience, not a hang (the gateway's publish timeout is 3 s here).
    expect(elapsedMs).toBeLessThan(10_000);
    expect((await request(stack.gatewayUrl, 'GET', '/ready')).status).toBe(503);

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await storedOrderCount(stack.gatewayUrl)).toBe(before);

    await brokerRelay.restore();
    const accepted = await waitFor(
      'the gateway to reconnect to the broker',
      async () => {
        const response = await request(stack.gatewayUrl, 'POST', '/api/billing', {
          user_id: 2,
          number_of_items: 2,
          total_amount: 2,
        });
        return response.status === 202 ? response.body.id : undefined;
      },
      30_000,
      500,
    );
    await waitFor(
      'the accepted order to be stored',
      async () => (await storedOrderCount(stack.gatewayUrl)) === before + 1,
    );
    const [newest] = (await request(stack.gatewayUrl, 'GET', '/api/orders?limit=1')).body;
    expect(newest.message_id).toBe(accepted);
  }, 90_000);
});
