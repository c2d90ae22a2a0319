/**
 * A client that retries with an Idempotency-Key stores its order once: across 503s whose publish the
 * broker did take after all (the broker's link frozen, then thawed) and across a gateway restart. Real
 * PostgreSQL and RabbitMQ, a process per service, a relay of the test's own between gateway and broker.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, testServers, waitFor, type TcpProxy } from '@shipshape/testkit';
import { request, startNativeStack, type NativeStack, realServersAvailable } from './stack.js';

const realServers = await realServersAvailable();

async function rowsFor(databaseUrl: string, messageId: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: number }>(
      'SELECT count(*)::integer AS count FROM orders WHERE message_id = $1',
      [messageId],
    );
    return rows[0]!.count;
  } finally {
    await client.end();
  }
}

describe.skipIf(!realServers)('Idempotency-Key through the whole system (real servers)', () => {
  let stack: NativeStack;
  let brokerRelay: TcpProxy;

  beforeAll(async () => {
    const amqp = new URL(testServers.amqp);
    brokerRelay = await startTcpProxy(amqp.hostname, Number(amqp.port || 5672));
    stack = await startNativeStack({
      amqpUrlForGateway: brokerRelay.url('amqp', `${amqp.username}:${amqp.password}`),
    });
  }, 90_000);
  afterAll(async () => {
    brokerRelay?.thaw();
    await stack?.stop();
    await brokerRelay?.close();
  });

  it('stores an order once however often it is posted with its key, across 503s and a restart', async () => {
    const key = `order-${Date.now()}`;
    const order = { user_id: 11, number_of_items: 2, total_amount: '42.50' };
    const post = () => request(stack.gatewayUrl, 'POST', '/api/billing', order, { 'idempotency-key': key });

    // The publishes reach the relay and wait there: the confirm does not come in time, so 503.
    brokerRelay.freeze();
    const refused = [await post(), await post()];
    expect(refused.map((answer) => answer.status)).toEqual([503, 503]);
    expect(refused[0]!.body.error).toMatch(/may have been accepted.*same Idempotency-Key/);
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0);

    // The broker gets both held messages after all; they carry the same id, so billing stores one.
    brokerRelay.thaw();
    const accepted = await waitFor('a 202 once the broker answers', async () => {
      const answer = await post();
      return answer.status === 202 ? answer.body.id : undefined;
    });
    await stack.gateway.stop();
    await stack.gateway.start();
    const afterRestart = [await post(), await post()];
    expect(afterRestart.map((answer) => [answer.status, answer.body.id])).toEqual([
      [202, accepted],
      [202, accepted],
    ]);

    await waitFor('the order to be stored', async () => (await rowsFor(stack.billingDatabase.url, accepted)) > 0);
    // Five posts, at least four messages on the queue: let any late one land, then count again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await rowsFor(stack.billingDatabase.url, accepted)).toBe(1);
    const [newest] = (await request(stack.gatewayUrl, 'GET', '/api/orders?limit=1')).body;
    expect(newest).toMatchObject({ message_id: accepted, user_id: 11, number_of_items: 2, total_amount: 42.5 });
  }, 90_000);
});
