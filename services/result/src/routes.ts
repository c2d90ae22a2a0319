import { fastifySSE } from '@fastify/sse';
import { RESULTS_EVENT, resultsSchema, type Poll } from '@shipshape/contracts';
import { refuseOtherMediaTypes, type AppServer } from '@shipshape/platform';
import type { VotesStore } from '@shipshape/votestore';
import type { FastifyReply } from 'fastify';
import { coalesce } from './coalesce.js';
import { resultsOf, type ResultsFeed } from './resultsFeed.js';

export interface ResultRouteOptions {
  poll: Poll;
  votes: VotesStore;
  feed: ResultsFeed;
  minIntervalMs: number;
  heartbeatMs: number;
}

/**
 * `GET /results` (one query: a row per option) and `GET /results/stream`, which the gateway reaches
 * for `/api/results` and `/api/results/stream`. Every stream is ended before the server closes, or
 * closing would wait for clients that never leave.
 */
export async function registerResultRoutes(app: AppServer, options: ResultRouteOptions): Promise<void> {
  const { poll, votes, feed, minIntervalMs, heartbeatMs } = options;
  await app.register(fastifySSE, { heartbeatInterval: heartbeatMs });
  const streams = new Set<FastifyReply>();
  app.addHook('preClose', async () => {
    for (const reply of streams) await reply.sse.close();
  });

  app.get('/results', { schema: { response: { 200: resultsSchema } } }, async () =>
    resultsOf(poll, await votes.counts()),
  );

  app.get('/results/stream', { sse: 'only', preHandler: refuseOtherMediaTypes }, async (request, reply) => {
    reply.sse.keepAlive();
    // Tells nginx (and proxies that follow it) not to buffer the stream.
    reply.header('x-accel-buffering', 'no');
    reply.header('cache-control', 'no-cache');
    const sender = coalesce(
      (results: unknown) => reply.sse.send({ event: RESULTS_EVENT, data: results }),
      minIntervalMs,
    );
    const unsubscribe = feed.subscribe((results) => sender.push(results));
    streams.add(reply);
    reply.sse.onClose(() => {
      // Forgotten at once: no further read or write is done for a client that has gone.
      unsubscribe();
      sender.cancel();
      streams.delete(reply);
      request.log.debug({ clients: feed.subscribers }, 'results stream closed');
    });
    sender.push(feed.current());
  });
}
