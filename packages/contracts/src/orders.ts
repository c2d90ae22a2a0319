import { z } from 'zod';
import { pageQuery } from './movies.js';

export const BILLING_QUEUE = 'billing_queue';
export const MAX_USER_ID = 2_147_483_647;
export const MAX_ITEMS = 10_000;
export const MAX_TOTAL_AMOUNT = 1_000_000_000;

/** A number given as a JSON number or a numeric string (`"180"`, `"19.99"`), as crud-master clients send. */
function numeric(field: string) {
  return z.union(
    [
      z.number({ error: `${field} must be a number` }),
      z
        .string()
        .trim()
        .regex(/^\d+(\.\d+)?$/, `${field} must be a number or a numeric string`)
        .transform(Number),
    ],
    { error: `${field} must be a number or a numeric string` },
  );
}

export const orderRequestSchema = z
  .strictObject({
    user_id: numeric('user_id').pipe(
      z
        .number()
        .int('user_id must be an integer')
        .positive('user_id must be positive')
        .max(MAX_USER_ID, `user_id must be at most ${MAX_USER_ID}`),
    ),
    number_of_items: numeric('number_of_items').pipe(
      z
        .number()
        .int('number_of_items must be an integer')
        .positive('number_of_items must be positive')
        .max(MAX_ITEMS, `number_of_items must be at most ${MAX_ITEMS}`),
    ),
    total_amount: numeric('total_amount').pipe(
      z
        .number()
        .positive('total_amount must be positive')
        .max(MAX_TOTAL_AMOUNT, `total_amount must be at most ${MAX_TOTAL_AMOUNT}`)
        .refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, {
          message: 'total_amount must have at most 2 decimals',
        }),
    ),
  })
  .meta({ id: 'OrderRequest' });

/** What travels on `billing_queue`: the validated order with numbers normalised. */
export const orderMessageSchema = z.strictObject({
  user_id: z.number().int().positive().max(MAX_USER_ID),
  number_of_items: z.number().int().positive().max(MAX_ITEMS),
  total_amount: z.number().positive().max(MAX_TOTAL_AMOUNT),
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
export const listOrdersQuerySchema = z.object(pageQuery);

export type OrderRequest = z.infer<typeof orderRequestSchema>;
export type OrderMessage = z.infer<typeof orderMessageSchema>;
export type Order = z.infer<typeof orderSchema>;
export type ListOrdersQuery = z.infer<typeof listOrdersQuerySchema>;
