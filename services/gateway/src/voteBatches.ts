import { MAX_VOTE_BATCH, VOTE_BATCH_PATH, voteBatchAnswerSchema, type VoteBatchAnswer } from '@shipshape/contracts';
import { BadGatewayError, createBatcher, type Logger } from '@shipshape/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendAnswer, type Upstream, type UpstreamAnswer } from './upstream.js';

/** Sends the votes of `POST /api/votes` to the vote service, several client requests per upstream request. */
export interface VoteBatches {
  cast(request: FastifyRequest, reply: FastifyReply, vote: { voterId: string; option: string }): void;
}

type Waiter = { request: FastifyRequest; reply: FastifyReply; voterId: string; option: string };

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A request collapser, as for the movie lookups (docs/decisions/0003-request-collapser.md): the votes
 * that arrive in one event-loop turn go to the vote service as one `POST /internal/votes`, and each
 * client gets the answer `POST /votes` would have given it. A lone vote still goes after one turn.
 */
export function createVoteBatches(vote: Upstream, logger: Logger): VoteBatches {
  let warnedOfOldVote = false;
  const batches = createBatcher<Waiter>({
    send: (batch) => castAll(batch),
    maxBatchSize: MAX_VOTE_BATCH,
    maxInFlight: Number.POSITIVE_INFINITY,
  });

  function forwardEach(batch: Waiter[]): void {
    for (const { request, reply, voterId, option } of batch) {
      vote.forward(request, reply, '/votes', Buffer.from(JSON.stringify({ voterId, option })));
    }
  }

  async function castAll(batch: Waiter[]): Promise<void> {
    const body = batch.map(({ request, voterId, option }) => ({ voterId, option, requestId: request.id }));
    let answer: UpstreamAnswer;
    try {
      answer = await vote.post(VOTE_BATCH_PATH, Buffer.from(JSON.stringify(body)), {});
    } catch (error) {
      for (const { reply } of batch) reply.send(error); // 503 or 504, as for a forwarded request
      return;
    }
    if (answer.statusCode === 404) {
      // A vote service older than the batch route (a rolling update): each vote goes on its own.
      if (!warnedOfOldVote) {
        warnedOfOldVote = true;
        logger.warn(`vote does not know ${VOTE_BATCH_PATH}; forwarding votes one by one until it does`);
      }
      forwardEach(batch);
      return;
    }
    if (answer.statusCode !== 200) {
      for (const { reply } of batch) sendAnswer(reply, answer);
      return;
    }
    let answers: VoteBatchAnswer | undefined;
    try {
      const parsed = voteBatchAnswerSchema.safeParse(JSON.parse(String(answer.body)));
      if (parsed.success && parsed.data.length === batch.length) answers = parsed.data;
    } catch {
      // Reported below.
    }
    if (answers === undefined) {
      const error = new BadGatewayError(`Upstream service vote answered ${batch.length} votes with something else`);
      logger.error({ err: error, body: String(answer.body).slice(0, 200) }, error.message);
      for (const { reply } of batch) reply.send(error);
      return;
    }
    answers.forEach(({ status, body, retryAfter }, index) => {
      const { reply } = batch[index]!;
      if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
      reply.code(status).header('content-type', JSON_CONTENT_TYPE).send(JSON.stringify(body));
    });
  }

  return {
    cast(request, reply, { voterId, option }) {
      batches.add({ request, reply, voterId, option });
    },
  };
}
