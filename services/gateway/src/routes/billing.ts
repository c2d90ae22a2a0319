import { errorResponseSchema, orderAcceptedSchema, orderRequestSchema, type OrderMessage } from '@shipshape/contracts';
import { createHash } from 'node:crypto';
import { REQUEST_ID_HEADER, ServiceUnavailableError, withTimeout, type AppServer } from '@shipshape/platform';
import { QueueUnavailableError, type MessageQueue } from '@shipshape/queue';
import { z } from 'zod';
import { timeOrderedUuid } from '../timeOrderedUuid.js';
import { bodyErrors } from './schemas.js';

export interface BillingRouteOptions {
  queue: MessageQueue;
  queueName: string;
  /** Longest wait for the queue to confirm; past it the order is answered 503. */
  publishTimeoutMs: number;
  retryAfterSeconds: number;
}

class PublishTimeoutError extends Error {}

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Other headers pass through untouched: only the key is the route's to validate. */
const billingHeadersSchema = z.looseObject({
  [IDEMPOTENCY_KEY_HEADER]: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 . _ : -')
    .optional()
    .describe(
      'Names this order, so that posting it again (after a 503, a timeout or a restart) stores it once and ' +
        'answers the same `id`. A key names one order: reusing it for another answers the first order’s id ' +
        'and stores nothing new, so use a fresh random one (a UUID) per order.',
    ),
});

/** Fixed namespace of order ids made from an Idempotency-Key; changing it would give old keys new ids. */
const IDEMPOTENT_ORDER_NAMESPACE = Buffer.from('d555dbc270eb4b8cad9fa80a1ecd4ca3', 'hex');

/**
 * The order id of an Idempotency-Key: a name-based UUID of version 5 (RFC 9562), the same for the
 * same key in every gateway and every run, so billing's unique message id stores a retried order once.
 */
export function orderIdForKey(key: string): string {
  const hash = createHash('sha1').update(IDEMPOTENT_ORDER_NAMESPACE).update(key, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `POST /api/billing`: the order is validated here and put on the billing queue; billing stores it
 * later. 202 means the queue confirmed the message durable, so nothing accepted is lost.
 */
export function registerBillingRoutes(app: AppServer, options: BillingRouteOptions): void {
  const { queue, queueName, publishTimeoutMs, retryAfterSeconds } = options;

  app.post(
    '/api/billing',
    {
      schema: {
        tags: ['billing'],
        summary: 'Place an order',
        description:
          'Numbers may be given as JSON numbers or numeric strings. Answers 202 once the order is durable ' +
          'on the billing queue; billing stores it shortly after (see `GET /api/orders`, `message_id` = `id`). ' +
          'With an `Idempotency-Key` the order may be posted again, after a 503 or no answer, and is stored once.',
        headers: billingHeadersSchema,
        body: orderRequestSchema,
        response: {
          202: orderAcceptedSchema,
          ...bodyErrors,
          503: errorResponseSchema.describe(
            'The order queue did not confirm the order, which may still have been accepted: retry after ' +
              'Retry-After with the same Idempotency-Key to have it stored once',
          ),
        },
      },
    },
    async (request, reply) => {
      const order: OrderMessage = request.body;
      // Time-ordered (UUID version 7) rather than random, so billing's unique index on the message id
      // grows at its right edge (docs/decisions/0004-time-ordered-order-ids.md); a keyed order's id must
      // instead be the same on every retry.
      const key = request.headers[IDEMPOTENCY_KEY_HEADER];
      const id = key === undefined ? timeOrderedUuid() : orderIdForKey(key);
      try {
        // The adapters bound their own publish time; this bound is the gateway's promise that a client
        // never waits longer, whatever adapter it was given.
        await withTimeout(
          queue.publish(queueName, {
            id,
            body: Buffer.from(JSON.stringify(order)),
            headers: { [REQUEST_ID_HEADER]: request.id },
          }),
          publishTimeoutMs,
          () => new PublishTimeoutError(`the queue did not confirm within ${publishTimeoutMs} ms`),
        );
      } catch (error) {
        if (error instanceof QueueUnavailableError || error instanceof PublishTimeoutError) {
          // A confirm that came too late does not mean the broker lost the message: say so, and how to retry.
          throw new ServiceUnavailableError(
            'The order queue is unavailable; the order may have been accepted: retry with the same ' +
              'Idempotency-Key header to have it stored once',
            retryAfterSeconds,
            { cause: error },
          );
        }
        throw error;
      }
      return reply.code(202).send({ message: 'Order accepted', id });
    },
  );
}
