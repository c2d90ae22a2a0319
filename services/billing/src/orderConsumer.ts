import { orderMessageSchema } from '@shipshape/contracts';
import { isDatabaseUnavailable } from '@shipshape/db';
import { messageOf, REQUEST_ID_HEADER, type Logger } from '@shipshape/platform';
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
    return { type: 'invalid', reason: `invalid JSON: ${messageOf(error)}` };
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

/** How storing each order of a batch turned out: stored (or already stored), or refused by the database. */
type Stored = { type: 'stored' } | { type: 'refused'; reason: string };

/**
 * Stores the batch in one statement; if the database refuses it for a reason other than being
 * unreachable (a constraint one order breaks), stores the orders one by one instead, so that one
 * order never holds back the others. An unreachable database throws: the whole batch comes again.
 */
async function storeAll(orders: OrdersRepository, valid: NewOrder[]): Promise<{ results: Stored[]; stored: number }> {
  try {
    const stored = await orders.insertMany(valid);
    return { results: valid.map(() => ({ type: 'stored' })), stored };
  } catch (error) {
    if (isDatabaseUnavailable(error) || valid.length === 0) throw error;
  }
  const results: Stored[] = [];
  let stored = 0;
  for (const order of valid) {
    try {
      stored += await orders.insertMany([order]);
      results.push({ type: 'stored' });
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      results.push({ type: 'refused', reason: `the database refused the order: ${messageOf(error)}` });
    }
  }
  return { results, stored };
}

/**
 * Stores each batch of order messages and answers its outcomes only after the commit. A message that
 * can never be an order is dead-lettered; one the database refuses is answered `retry` (the queue
 * dead-letters it with the database's reason after its last attempt); if the database cannot be
 * reached the handler throws, so the queue delivers the whole batch again later.
 */
export function createOrderBatchHandler({ orders, logger }: OrderConsumerDeps): BatchHandler {
  return async (deliveries) => {
    const decoded = deliveries.map(decodeOrder);
    const valid = decoded.flatMap((d) => (d.type === 'order' ? [d.order] : []));
    const { results, stored } = await storeAll(orders, valid);

    let next = 0;
    const outcomes = decoded.map((d, index): Outcome => {
      const delivery = deliveries[index]!;
      const context = { requestId: delivery.headers[REQUEST_ID_HEADER], messageId: delivery.id };
      if (d.type === 'invalid') {
        logger.warn({ ...context, reason: d.reason }, 'order message dead-lettered');
        return { type: 'dead-letter', reason: d.reason };
      }
      const result = results[next++]!;
      if (result.type === 'stored') return { type: 'ack' };
      logger.warn({ ...context, reason: result.reason, attempts: delivery.attempts }, 'order refused; retrying');
      return { type: 'retry', reason: result.reason };
    });
    if (logger.isLevelEnabled('debug')) {
      logger.debug(
        {
          received: deliveries.length,
          stored,
          alreadyStored: results.filter((r) => r.type === 'stored').length - stored,
          refused: results.filter((r) => r.type === 'refused').length,
          deadLettered: deliveries.length - valid.length,
          requestIds: deliveries.map((d) => d.headers[REQUEST_ID_HEADER]).filter(Boolean),
        },
        'order batch stored',
      );
    }
    return outcomes;
  };
}
