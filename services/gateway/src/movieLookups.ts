import {
  LOOKUP_REQUEST_IDS_HEADER,
  MAX_LOOKUP_IDS,
  MOVIE_LOOKUP_PATH,
  movieNotFound,
  type Movie,
} from '@shipshape/contracts';
import { BadGatewayError, createBatcher, type Logger } from '@shipshape/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendAnswer, type Upstream, type UpstreamAnswer } from './upstream.js';

/** Answers `GET /api/movies/:id` from inventory, several client requests per upstream request. */
export interface MovieLookups {
  answer(request: FastifyRequest, reply: FastifyReply, id: number): void;
}

type Waiter = { request: FastifyRequest; reply: FastifyReply; id: number };

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A request collapser: the `GET /api/movies/:id` requests that arrive in one event-loop turn go to
 * inventory as one `GET /internal/movies?ids=…`, and each client gets what inventory answers to
 * `GET /api/movies/:id` (the movie, or the same 404), because every HTTP message between two
 * processes costs a write and a wake-up (docs/decisions/0003-request-collapser.md). A lone request
 * still goes out after one turn, so it waits for nothing; under load a turn holds several.
 */
export function createMovieLookups(inventory: Upstream, logger: Logger): MovieLookups {
  let warnedOfOldInventory = false;
  // Any number of lookups in flight: each batch is one turn's requests, never held back by another.
  const lookups = createBatcher<Waiter>({
    send: (batch) => lookUp(batch),
    maxBatchSize: MAX_LOOKUP_IDS,
    maxInFlight: Number.POSITIVE_INFINITY,
  });

  async function lookUp(batch: Waiter[]): Promise<void> {
    let answer: UpstreamAnswer;
    try {
      answer = await inventory.get(`${MOVIE_LOOKUP_PATH}?ids=${batch.map((waiter) => waiter.id).join(',')}`, {
        [LOOKUP_REQUEST_IDS_HEADER]: batch.map((waiter) => waiter.request.id).join(','),
      });
    } catch (error) {
      for (const { reply } of batch) reply.send(error); // 503 or 504, as for a forwarded request
      return;
    }
    if (answer.statusCode === 404) {
      // An inventory older than the lookup route (the gateway upgraded first, during a rolling update):
      // each request is forwarded on its own, as before the collapser, so clients notice nothing.
      if (!warnedOfOldInventory) {
        warnedOfOldInventory = true;
        logger.warn(`inventory does not know ${MOVIE_LOOKUP_PATH}; forwarding movie lookups one by one until it does`);
      }
      for (const { request, reply } of batch) inventory.forward(request, reply, request.url);
      return;
    }
    if (answer.statusCode !== 200) {
      // Inventory's own failure (its database down, say) is every client's answer, as it would be forwarded.
      for (const { reply } of batch) sendAnswer(reply, answer);
      return;
    }
    let movies: unknown;
    try {
      movies = JSON.parse(String(answer.body));
    } catch {
      // Reported below as not being a list.
    }
    if (!Array.isArray(movies) || movies.length !== batch.length) {
      const error = new BadGatewayError(
        `Upstream service inventory answered ${batch.length} movie lookups with something else`,
      );
      logger.error({ err: error, body: String(answer.body).slice(0, 200) }, error.message);
      for (const { reply } of batch) reply.send(error);
      return;
    }
    batch.forEach(({ reply, id }, index) => {
      const movie = movies[index] as Movie | null;
      reply
        .code(movie ? 200 : 404)
        .header('content-type', JSON_CONTENT_TYPE)
        .send(JSON.stringify(movie ?? movieNotFound(id)));
    });
  }

  return {
    answer(request, reply, id) {
      lookups.add({ request, reply, id });
    },
  };
}
