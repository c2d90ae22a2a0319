import { orderMessageSchema } from '@shipshape/contracts';
import { REQUEST_ID_HEADER, type Logger } from '@shipshape/platform';
import type { BatchHandler, Delivery, Outcome } from '@shipshape/queue';
import type { NewOrder, OrdersRepository } from './ordersRepository.js';

/** What one delivery turned out to be: an order to store, or a message that can never be one. */
export type Decoded = { type: 'order'; order: NewOrder } | { type: 'invalid'; reason: string };

/** Reads a delivery as an order; the reason names what is wrong so an operator can act on the dead letter. */
export function decodeOrder(delivery: Delivery): Decoded {
  if (!delivery.id) return { type: 'invalid', reason: 'message has no id, so it cannot be stored exactly once' };
  let body: unknown;
  try {
    body = JSON.parse(delivery.body.toString('utf8'));
  } catch (error) {
    return { type: 'invalid', reason: `invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = orderMessageSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    );
    return { type: 'invalid', reason: `invalid order: ${problems.join('; ')}` };
  }
  return { type: 'order', order: { message_id: delivery.id, ...parsed.data } };
}

export interface OrderConsumerDeps {
  orders: OrdersRepository;
  logger: Logger;
}

/**
 * Stores each batch of order messages in one statement and answers its outcomes only after the
 * commit. A message that can never be an order is dead-lettered; if storing fails (the database
 * is down) the handler throws, so the queue delivers the whole batch again later.
 */
export function createOrderBatchHandler({ orders, logger }: OrderConsumerDeps): BatchHandler {
  return async (deliveries) => {
    const decoded = deliveries.map(decodeOrder);
    const valid = decoded.flatMap((d) => (d.type === 'order' ? [d.order] : []));
    const stored = await orders.insertMany(valid);

    const outcomes = decoded.map((d, index): Outcome => {
      if (d.type === 'order') return { type: 'ack' };
      const delivery = deliveries[index]!;
      logger.warn(
        { requestId: delivery.headers[REQUEST_ID_HEADER], messageId: delivery.id, reason: d.reason },
        'order message dead-lettered',
      );
      return { type: 'dead-letter', reason: d.reason };
    });
    if (logger.isLevelEnabled('debug')) {
      logger.debug(
        {
          received: deliveries.length,
          stored,
          alreadyStored: valid.length - stored,
          deadLettered: deliveries.length - valid.length,
          requestIds: deliveries.map((d) => d.headers[REQUEST_ID_HEADER]).filter(Boolean),
        },
        'order batch stored',
      );
    }
    return outcomes;
  };
}
