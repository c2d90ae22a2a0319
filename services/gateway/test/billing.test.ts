/**
 * `POST /api/billing` against the real RabbitMQ through the real AMQP adapter: 202 only once the
 * broker confirmed, the message as billing will read it, and 503 (never a hang) when the broker
 * cannot be reached.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@shipshape/platform';
import { createAmqpQueue, type MessageQueue } from '@shipshape/queue';
import { deleteQueues, rabbitMqAvailable, testServers, uniqueName } from '@shipshape/testkit';
import { call, startGateway, startUpstream, type RunningGateway, type TestUpstream } from './helpers.js';

const brokerUp = await rabbitMqAvailable();
const logger = createLogger('gateway-test', 'silent');

/** Takes every message waiting on `queue` off the real broker. */
async function drain(queue: string): Promise<amqp.GetMessage[]> {
  const connection = await amqp.connect(testServers.amqp);
  try {
    const channel = await connection.createChannel();
    // As the adapter declares it (durable, classic queue version 2); creates it when nothing was published.
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-version': 2 } });
    const messages: amqp.GetMessage[] = [];
    for (let message = await channel.get(queue); message; message = await channel.get(queue)) {
      messages.push(message);
      channel.ack(message);
    }
    await channel.close();
    return messages;
  } finally {
    await connection.close();
  }
}

const order = { user_id: '3', number_of_items: '5', total_amount: '180.25' };

describe.skipIf(!brokerUp)('POST /api/billing on RabbitMQ', () => {
  const queueName = uniqueName('gateway_billing');
  let upstream: TestUpstream;
  let queue: MessageQueue;
  let gateway: RunningGateway;

  beforeAll(async () => {
    upstream = await startUpstream();
    queue = createAmqpQueue({ url: testServers.amqp, logger, publishTimeoutMs: 5_000 });
    gateway = await startGateway(
      { INVENTORY_URL: upstream.url, BILLING_URL: upstream.url, BILLING_QUEUE: queueName },
      { queue },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await queue?.close();
    await upstream?.close();
    await deleteQueues([queueName]);
  });

  it('answers 202 with the message id once the order is on the queue, durable, as billing reads it', async () => {
    const answer = await call(gateway.url, 'POST', '/api/billing', order, { 'x-request-id': 'order-trace-1' });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ message: 'Order accepted', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });

    const [message, ...others] = await drain(queueName);
    expect(others).toEqual([]);
    expect(JSON.parse(message!.content.toString())).toEqual({ user_id: 3, number_of_items: 5, total_amount: 180.25 });
    expect(message!.properties.messageId).toBe(answer.body.id);
    expect(message!.properties.deliveryMode).toBe(2); // persistent
    expect(message!.properties.headers).toMatchObject({ 'x-request-id': 'order-trace-1' });
  });

  it('gives every order its own id, a UUID of version 7 that carries the time it was accepted', async () => {
    const ids: string[] = [];
    const before = Date.now();
    for (let i = 0; i < 5; i++) ids.push((await call(gateway.url, 'POST', '/api/billing', order)).body.id);
    const after = Date.now();
    expect(new Set(ids).size).toBe(5);
    // The first 48 bits are the milliseconds: later orders never sort before earlier ones.
    const times = ids.map((id) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[0]).toBeGreaterThanOrEqual(before);
    expect(times[4]).toBeLessThanOrEqual(after);
    const messages = await drain(queueName);
    expect(messages.map((m) => m.properties.messageId)).toEqual(ids);
  });

  it('publishes nothing for an invalid order', async () => {
    const answer = await call(gateway.url, 'POST', '/api/billing', { ...order, total_amount: '-1' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/total_amount/);
    expect(await drain(queueName)).toEqual([]);
  });

  it('is ready while the broker answers', async () => {
    const ready = await call(gateway.url, 'GET', '/ready');
    expect(ready.body.checks.queue).toBe('ok');
  });
});

describe.skipIf(!brokerUp)('POST /api/billing with the broker unreachable', () => {
  const queueName = uniqueName('gateway_billing_down');
  let upstream: TestUpstream;
  let queue: MessageQueue;
  let gateway: RunningGateway;

  beforeAll(async () => {
    upstream = await startUpstream();
    // Nothing listens on port 1: every connection attempt is refused.
    queue = createAmqpQueue({ url: 'amqp://guest:guest@127.0.0.1:1', logger, publishTimeoutMs: 1_000 });
    gateway = await startGateway(
      {
        INVENTORY_URL: upstream.url,
        BILLING_URL: upstream.url,
        BILLING_QUEUE: queueName,
        PUBLISH_TIMEOUT_MS: '1000',
        RETRY_AFTER_SECONDS: '3',
      },
      { queue },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await queue?.close();
    await upstream?.close();
    await deleteQueues([queueName]);
  });

  it('answers 503 with Retry-After in bounded time, and nothing reaches the queue', async () => {
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const answer = await call(gateway.url, 'POST', '/api/billing', order);
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('3');
      expect(answer.body).toEqual({ error: expect.stringMatching(/queue is unavailable/), details: [] });
      // The confirm may only have been late: the client is told how to retry without a duplicate.
      expect(answer.body.error).toMatch(/may have been accepted.*same Idempotency-Key/);
      // Bounded by the publish timeout (1 s here), not a hang.
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    expect(await drain(queueName)).toEqual([]);
  });

  it('is not ready, naming the queue', async () => {
    const ready = await call(gateway.url, 'GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.queue).not.toBe('ok');
  });
});

describe('POST /api/billing with an Idempotency-Key', () => {
  let upstream: TestUpstream;
  let gateway: RunningGateway & { queue: MessageQueue };
  const queueName = uniqueName('gateway_idempotency');
  const waiting = async () => gateway.queue.depth(queueName);

  beforeAll(async () => {
    upstream = await startUpstream();
    // The embedded queue: a real durable queue, no broker needed for what the route decides.
    gateway = await startGateway({ INVENTORY_URL: upstream.url, BILLING_URL: upstream.url, BILLING_QUEUE: queueName });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('answers the same id for the same key every time, and another id for another key', async () => {
    const key = 'order-2024-05-01:client.7_a-b';
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push(await call(gateway.url, 'POST', '/api/billing', order, { 'idempotency-key': key }));
    }
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    // A UUID (version 5, from the key), so it fits wherever an order id goes.
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const other = await call(gateway.url, 'POST', '/api/billing', order, { 'idempotency-key': `${key}-2` });
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(id);
    // Without a key every order still gets an id of its own.
    const [a, b] = [
      await call(gateway.url, 'POST', '/api/billing', order),
      await call(gateway.url, 'POST', '/api/billing', order),
    ];
    expect(a.body.id).not.toBe(b.body.id);
  });

  it.each([
    ['an empty key', ''],
    ['a key of 129 characters', 'k'.repeat(129)],
    ['a space', 'order 1'],
    ['a slash', 'order/1'],
    ['a character outside ASCII', 'commande-é'],
  ])('refuses %s with a 400 naming the header, and publishes nothing', async (_case, key) => {
    const before = await waiting();
    const answer = await call(gateway.url, 'POST', '/api/billing', order, { 'idempotency-key': key });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: expect.stringContaining('idempotency-key'),
      details: [{ path: 'headers.idempotency-key', message: expect.any(String) }],
    });
    expect(await waiting()).toBe(before);
  });

  it('takes a key of exactly 128 characters', async () => {
    const answer = await call(gateway.url, 'POST', '/api/billing', order, { 'idempotency-key': 'K'.repeat(128) });
    expect(answer.status).toBe(202);
  });

  it('documents the header in the OpenAPI document', async () => {
    const { body: document } = await call(gateway.url, 'GET', '/openapi.json');
    const parameters = document.paths['/api/billing'].post.parameters;
    expect(parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'idempotency-key', required: false }),
    );
  });
});
