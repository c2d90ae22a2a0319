import { errorResponseSchema, orderAcceptedSchema, orderRequestSchema, type OrderMessage } from '@shipshape/contracts';
import { REQUEST_ID_HEADER, ServiceUnavailableError, withTimeout, type AppServer } from '@shipshape/platform';
import { QueueUnavailableError, type MessageQueue } from '@shipshape/queue';
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
          'on the billing queue; billing stores it shortly after (see `GET /api/orders`, `message_id` = `id`).',
        body: orderRequestSchema,
        response: {
          202: orderAcceptedSchema,
          ...bodyErrors,
          503: errorResponseSchema.describe('The order queue is unavailable; nothing was accepted. See Retry-After'),
        },
      },
    },
    async (request, reply) => {
      const order: OrderMessage = request.body;
      // Time-ordered (UUID version 7) rather than random, so billing's unique index on the message id
      // grows at its right edge (docs/decisions/0004-time-ordered-order-ids.md).
      const id = timeOrderedUuid();
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
          throw new ServiceUnavailableError(
            'The order queue is unavailable; the order was not accepted',
            retryAfterSeconds,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
      return reply.code(202).send({ message: 'Order accepted', id });
    },
  );
}
