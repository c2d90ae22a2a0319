import { z } from 'zod';
import { pageQuery } from './movies.js';

export const BILLING_QUEUE = 'billing_queue';
export const MAX_USER_ID = 2_147_483_647;
export const MAX_ITEMS = 10_000;
export const MIN_TOTAL_AMOUNT = 0.01;
export const MAX_TOTAL_AMOUNT = 1_000_000_000;

/**
 * A number given as a JSON number or a numeric string (`"180"`, `"19.99"`), as crud-master clients send.
 * `decimals` bounds the fraction of a string on its digits as written, before a double could round
 * `"0.000000001"` to something that looks fine.
 */
function numeric(field: string, decimals?: number) {
  const tooPrecise = decimals === undefined ? undefined : new RegExp(`\\.\\d{${decimals}}\\d*[1-9]`);
  return z
    .union(
      [
        z.number({ error: `${field} must be a number` }),
        z
          .string()
          .trim()
          .regex(/^\d+(\.\d+)?$/, `${field} must be a number or a numeric string`),
      ],
      { error: `${field} must be a number or a numeric string` },
    )
    .refine(
      (value) => typeof value !== 'string' || !tooPrecise?.test(value),
      `${field} must have at most ${decimals} decimals`,
    )
    .transform(Number);
}

// Each bound is the column's (billing's migrations): integer columns with CHECK (> 0), and
// numeric(12, 2) with CHECK (> 0), which rounds a third decimal away and so must never be sent one.
const userId = z
  .number({ error: 'user_id must be a finite number' })
  .int('user_id must be an integer')
  .positive('user_id must be positive')
  .max(MAX_USER_ID, `user_id must be at most ${MAX_USER_ID}`);
const numberOfItems = z
  .number({ error: 'number_of_items must be a finite number' })
  .int('number_of_items must be an integer')
  .positive('number_of_items must be positive')
  .max(MAX_ITEMS, `number_of_items must be at most ${MAX_ITEMS}`);
const totalAmount = z
  .number({ error: 'total_amount must be a finite number' })
  .min(MIN_TOTAL_AMOUNT, `total_amount must be at least ${MIN_TOTAL_AMOUNT}`)
  .max(MAX_TOTAL_AMOUNT, `total_amount must be at most ${MAX_TOTAL_AMOUNT}`)
  // A JSON number has at most two decimals when it is the double nearest to its own two-decimal form.
  .refine((n) => Number(n.toFixed(2)) === n, 'total_amount must have at most 2 decimals');

export const orderRequestSchema = z
  .strictObject({
    user_id: numeric('user_id').pipe(userId),
    number_of_items: numeric('number_of_items').pipe(numberOfItems),
    total_amount: numeric('total_amount', 2).pipe(totalAmount),
  })
  .meta({ id: 'OrderRequest' });

/** What travels on `billing_queue`: the validated order with numbers normalised, held to the same bounds. */
export const orderMessageSchema = z.strictObject({
  user_id: userId,
  number_of_items: numberOfItems,
  total_amount: totalAmount,
});

export const orderAcceptedSchema = z.object({ message: z.string(), id: z.string() }).meta({ id: 'OrderAccepted' });

/** A stored order; `message_id` is the `id` that `POST /api/billing` answered. */
export const orderSchema = z
  .object({
    id: z.number().int(),
    message_id: z.string(),
    user_id: z.number().int(),
    number_of_items: z.number().int(),
    total_amount: z.number(),
    created_at: z.string(),
  })
  .meta({ id: 'Order' });

export const orderListSchema = z.array(orderSchema);
export const listOrdersQuerySchema = z.strictObject(pageQuery);

export type OrderRequest = z.infer<typeof orderRequestSchema>;
export type OrderMessage = z.infer<typeof orderMessageSchema>;
export type Order = z.infer<typeof orderSchema>;
export type ListOrdersQuery = z.infer<typeof listOrdersQuerySchema>;
