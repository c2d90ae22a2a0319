import { listOrdersQuerySchema, orderListSchema, TOTAL_COUNT_HEADER } from '@shipshape/contracts';
import type { AppServer } from '@shipshape/platform';
import type { OrdersRepository } from './ordersRepository.js';

/** `GET /orders` for the gateway: stored orders, newest first, the total in `X-Total-Count`. */
export function registerOrderRoutes(app: AppServer, orders: OrdersRepository): void {
  app.get(
    '/orders',
    {
      schema: {
        querystring: listOrdersQuerySchema,
        response: { 200: orderListSchema },
      },
    },
    async (request, reply) => {
      const page = await orders.list(request.query);
      reply.header(TOTAL_COUNT_HEADER, String(page.total));
      return page.orders;
    },
  );
}
