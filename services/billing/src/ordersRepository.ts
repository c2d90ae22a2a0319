import type { ListOrdersQuery, Order, OrderMessage } from '@shipshape/contracts';
import type { Db } from '@shipshape/db';

/** An order as it arrives from the queue: the message's id makes storing it idempotent. */
export interface NewOrder extends OrderMessage {
  message_id: string;
}

export interface OrderPage {
  orders: Order[];
  total: number;
}

export interface OrdersRepository {
  /**
   * Stores the orders in one transaction. An order whose message id is already stored (a message
   * delivered twice) is skipped; resolves with how many were new.
   */
  insertMany(orders: NewOrder[]): Promise<number>;
  /** Newest first, with the number of all stored orders. */
  list(page: ListOrdersQuery): Promise<OrderPage>;
}

interface OrderRow {
  id: number;
  message_id: string;
  user_id: number;
  number_of_items: number;
  total_amount: string | number;
  created_at: Date | string;
}

// One statement for the whole batch: the arrays travel as four parameters, so the prepared
// statement is the same whatever the batch size.
const INSERT_ORDERS = `
  INSERT INTO orders (message_id, user_id, number_of_items, total_amount)
  SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[], $4::numeric[])
  ON CONFLICT (message_id) DO NOTHING`;

export function createSqlOrdersRepository(db: Db): OrdersRepository {
  return {
    async insertMany(orders) {
      if (orders.length === 0) return 0;
      // A single statement is its own transaction: the whole batch is stored, or none of it.
      const result = await db.query(INSERT_ORDERS, [
        orders.map((order) => order.message_id),
        orders.map((order) => order.user_id),
        orders.map((order) => order.number_of_items),
        orders.map((order) => order.total_amount),
      ]);
      return result.rowCount;
    },

    async list({ limit, offset }) {
      const [page, count] = await Promise.all([
        db.query<OrderRow>(
          `SELECT id, message_id, user_id, number_of_items, total_amount, created_at
             FROM orders ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`,
          [limit, offset],
        ),
        db.query<{ total: number }>('SELECT count(*)::integer AS total FROM orders', []),
      ]);
      return { orders: page.rows.map(toOrder), total: count.rows[0]?.total ?? 0 };
    },
  };
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    message_id: row.message_id,
    user_id: row.user_id,
    number_of_items: row.number_of_items,
    // numeric(12,2) arrives as a string so that no precision is lost; two decimals fit a double.
    total_amount: Number(row.total_amount),
    created_at: new Date(row.created_at).toISOString(),
  };
}
