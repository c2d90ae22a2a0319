import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPgDb, DatabaseUnavailableError, runMigrations, type Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createLogger } from '@shipshape/platform';
import type { Delivery } from '@shipshape/queue';
import { createOrderBatchHandler, decodeOrder } from '../src/orderConsumer.js';
import { billingMigrations } from '../src/migrations.js';
import { createSqlOrdersRepository, type OrdersRepository } from '../src/ordersRepository.js';

const logger = createLogger('billing-test', 'silent');

function delivery(id: string, body: unknown, headers: Record<string, string> = {}): Delivery {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { id, body: Buffer.from(text), headers, redelivered: false, attempts: 0 };
}

const validOrder = { user_id: 3, number_of_items: 5, total_amount: 180.5 };

describe('decodeOrder', () => {
  it('reads a valid order message, keyed by the message id', () => {
    expect(decodeOrder(delivery('m-1', validOrder))).toEqual({
      type: 'order',
      order: { message_id: 'm-1', user_id: 3, number_of_items: 5, total_amount: 180.5 },
    });
  });

  it('rejects a body that is not JSON, saying so', () => {
    const decoded = decodeOrder(delivery('m-2', '{"user_id": 3,'));
    expect(decoded.type).toBe('invalid');
    expect(decoded.type === 'invalid' && decoded.reason).toMatch(/^invalid JSON: /);
  });

  it.each([
    ['a negative user id', { ...validOrder, user_id: -1 }, 'user_id'],
    ['a missing field', { user_id: 3, number_of_items: 5 }, 'total_amount'],
    ['numbers as strings (the gateway normalises them)', { ...validOrder, number_of_items: '5' }, 'number_of_items'],
    ['too many items', { ...validOrder, number_of_items: 10_001 }, 'number_of_items'],
    ['an unknown field', { ...validOrder, coupon: 'FREE' }, 'coupon'],
  ])('rejects an order with %s, naming the field', (_case, body, field) => {
    const decoded = decodeOrder(delivery('m-3', body));
    expect(decoded.type).toBe('invalid');
    expect(decoded.type === 'invalid' && decoded.reason).toMatch(/^invalid order: /);
    expect(decoded.type === 'invalid' && decoded.reason).toContain(field);
  });

  it('rejects JSON that is not an object', () => {
    expect(decodeOrder(delivery('m-4', '[1,2]')).type).toBe('invalid');
    expect(decodeOrder(delivery('m-5', 'null')).type).toBe('invalid');
  });

  it('rejects a message without an id, which could not be stored exactly once', () => {
    const decoded = decodeOrder(delivery('', validOrder));
    expect(decoded.type === 'invalid' && decoded.reason).toMatch(/no id/);
  });
});

describe('order batch handler', () => {
  let db: Db;
  let orders: OrdersRepository;

  beforeAll(async () => {
    db = await createPgliteDb();
    await runMigrations(db, billingMigrations);
    orders = createSqlOrdersRepository(db);
  });

  beforeEach(async () => {
    await db.exec('TRUNCATE orders RESTART IDENTITY');
  });

  afterAll(async () => {
    await db.close();
  });

  it('stores the valid orders and dead-letters the rest, one outcome per delivery in order', async () => {
    const handle = createOrderBatchHandler({ orders, logger });
    const outcomes = await handle([
      delivery('ok-1', validOrder),
      delivery('bad-json', 'nope'),
      delivery('ok-2', { ...validOrder, user_id: 4 }),
      delivery('bad-order', { ...validOrder, total_amount: 0 }),
    ]);
    expect(outcomes).toEqual([
      { type: 'ack' },
      { type: 'dead-letter', reason: expect.stringMatching(/^invalid JSON/) },
      { type: 'ack' },
      { type: 'dead-letter', reason: expect.stringContaining('total_amount') },
    ]);
    const stored = await orders.list({ limit: 10, offset: 0 });
    expect(stored.orders.map((o) => o.message_id).sort()).toEqual(['ok-1', 'ok-2']);
  });

  it('acknowledges a redelivered order without storing it twice', async () => {
    const handle = createOrderBatchHandler({ orders, logger });
    await handle([delivery('twice', validOrder)]);
    const again = await handle([{ ...delivery('twice', validOrder), redelivered: true }]);
    expect(again).toEqual([{ type: 'ack' }]);
    expect((await orders.list({ limit: 10, offset: 0 })).total).toBe(1);
  });

  it('throws, acknowledging nothing, when the database cannot be reached', async () => {
    // Nothing listens on port 1: the pg adapter's DatabaseUnavailableError, the one reason to give up the batch.
    const unreachable = createPgDb({
      connectionString: 'postgres://postgres@127.0.0.1:1/billing',
      connectionTimeoutMs: 500,
    });
    try {
      const handle = createOrderBatchHandler({ orders: createSqlOrdersRepository(unreachable), logger });
      await expect(handle([delivery('lost?', validOrder)])).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await unreachable.close();
    }
  });

  it('stores the rest of a batch the database refuses, answering retry with its reason for each refused order', async () => {
    // A rule the contract does not know (as a later migration might add): the database's own reason.
    await db.exec('ALTER TABLE orders ADD CONSTRAINT refuses_user_666 CHECK (user_id <> 666)');
    try {
      const handle = createOrderBatchHandler({ orders, logger });
      const outcomes = await handle([
        delivery('good-1', validOrder),
        delivery('refused-1', { ...validOrder, user_id: 666 }),
        delivery('good-2', { ...validOrder, user_id: 4 }),
        delivery('refused-2', { ...validOrder, user_id: 666, total_amount: 1 }),
      ]);
      expect(outcomes).toEqual([
        { type: 'ack' },
        { type: 'retry', reason: expect.stringContaining('refuses_user_666') },
        { type: 'ack' },
        { type: 'retry', reason: expect.stringContaining('refuses_user_666') },
      ]);
      const stored = await orders.list({ limit: 10, offset: 0 });
      expect(stored.orders.map((o) => o.message_id).sort()).toEqual(['good-1', 'good-2']);
    } finally {
      await db.exec('ALTER TABLE orders DROP CONSTRAINT refuses_user_666');
    }
  });
});
