import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runMigrations, type Db } from '@shipshape/db';
import { dbBackends } from '@shipshape/testkit';
import { createSqlOrdersRepository, type NewOrder, type OrdersRepository } from '../src/ordersRepository.js';
import { billingMigrations } from '../src/migrations.js';

const backends = await dbBackends('billing_repo');

function order(messageId: string, overrides: Partial<NewOrder> = {}): NewOrder {
  return { message_id: messageId, user_id: 3, number_of_items: 5, total_amount: 180, ...overrides };
}

for (const backend of backends) {
  describe.skipIf(!backend.enabled)(`OrdersRepository contract: ${backend.name}`, () => {
    let db: Db;
    let dispose: () => Promise<void>;
    let orders: OrdersRepository;

    beforeAll(async () => {
      ({ db, close: dispose } = await backend.open());
      await runMigrations(db, billingMigrations);
      orders = createSqlOrdersRepository(db);
    });

    beforeEach(async () => {
      await db.exec('TRUNCATE orders RESTART IDENTITY');
    });

    afterAll(async () => {
      await dispose();
    });

    it('applies its migrations once', async () => {
      expect(await runMigrations(db, billingMigrations)).toEqual([]);
    });

    it('stores orders with their fields, total_amount as a number and created_at as ISO text', async () => {
      expect(await orders.insertMany([order('m-1', { user_id: 7, number_of_items: 2, total_amount: 19.99 })])).toBe(1);
      const { orders: stored, total } = await orders.list({ limit: 10, offset: 0 });
      expect(total).toBe(1);
      expect(stored).toEqual([
        {
          id: expect.any(Number),
          message_id: 'm-1',
          user_id: 7,
          number_of_items: 2,
          total_amount: 19.99,
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      ]);
      expect(Date.now() - Date.parse(stored[0]!.created_at)).toBeLessThan(60_000);
    });

    it('stores a message id once, across batches and within one batch', async () => {
      expect(await orders.insertMany([order('a'), order('b')])).toBe(2);
      expect(await orders.insertMany([order('b'), order('c'), order('c')])).toBe(1);
      const { orders: stored, total } = await orders.list({ limit: 10, offset: 0 });
      expect(total).toBe(3);
      expect(stored.map((o) => o.message_id).sort()).toEqual(['a', 'b', 'c']);
    });

    it('keeps the first version of an order delivered twice', async () => {
      await orders.insertMany([order('same', { total_amount: 10 })]);
      await orders.insertMany([order('same', { total_amount: 99 })]);
      const { orders: stored } = await orders.list({ limit: 10, offset: 0 });
      expect(stored.map((o) => o.total_amount)).toEqual([10]);
    });

    it('stores nothing of a batch that fails', async () => {
      await expect(orders.insertMany([order('fine'), order('broken', { number_of_items: -1 })])).rejects.toThrow();
      expect((await orders.list({ limit: 10, offset: 0 })).total).toBe(0);
    });

    it('lists newest first, paginated, with the total of all orders', async () => {
      await orders.insertMany([order('first'), order('second')]);
      await orders.insertMany([order('third')]);
      await orders.insertMany([order('fourth'), order('fifth')]);

      const all = await orders.list({ limit: 100, offset: 0 });
      expect(all.orders.map((o) => o.message_id)).toEqual(['fifth', 'fourth', 'third', 'second', 'first']);
      expect(all.total).toBe(5);

      const page = await orders.list({ limit: 2, offset: 1 });
      expect(page.orders.map((o) => o.message_id)).toEqual(['fourth', 'third']);
      expect(page.total).toBe(5);

      const beyond = await orders.list({ limit: 2, offset: 10 });
      expect(beyond).toEqual({ orders: [], total: 5 });
    });
  });
}
