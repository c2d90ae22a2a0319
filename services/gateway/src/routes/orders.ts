import { listOrdersQuerySchema, orderListSchema } from '@shipshape/contracts';
import type { AppServer } from '@shipshape/platform';
import type { Upstream } from '../upstream.js';
import { clientErrors, upstreamErrors } from './schemas.js';

/** `GET /api/orders`: the orders billing has stored, from billing's `GET /orders`. */
export function registerOrderRoutes(app: AppServer, billing: Upstream): void {
  app.get(
    '/api/orders',
    {
      schema: {
        tags: ['billing'],
        summary: 'List stored orders',
        description:
          'Newest first, `limit`/`offset` paged; the `X-Total-Count` header gives the number of stored orders.',
        querystring: listOrdersQuerySchema,
        response: { 200: orderListSchema, ...clientErrors, ...upstreamErrors },
      },
    },
    (request, reply) => {
      const { url } = request;
      const query = url.indexOf('?');
      billing.forward(request, reply, query === -1 ? '/orders' : `/orders${url.slice(query)}`);
    },
  );
}
