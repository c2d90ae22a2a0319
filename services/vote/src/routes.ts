import {
  pollSchema,
  VOTE_BATCH_PATH,
  voteAcceptedSchema,
  voteBatchAnswerSchema,
  voteBatchRequestSchema,
  voteCastSchemaFor,
  type Poll,
  type VoteBatchAnswer,
} from '@shipshape/contracts';
import { invalidRequest, ServiceUnavailableError, type AppServer } from '@shipshape/platform';
import type { VoteLog } from '@shipshape/votelog';

/**
 * `GET /poll` and `POST /votes`, which the gateway reaches for `/api/poll` and `/api/votes`. The
 * gateway knows the voter (its cookie) and sends `{ voterId, option }`; the option is checked here,
 * against the poll this service was configured with. The gateway sends the votes of one turn together
 * to `POST /internal/votes`, answered item by item as `POST /votes` would answer each.
 */
export function registerVoteRoutes(app: AppServer, poll: Poll, voteLog: VoteLog): void {
  const castVoteSchema = voteCastSchemaFor(poll.options.map((option) => option.id));
  const pollAnswer = pollSchema.parse(poll);

  app.get('/poll', { schema: { response: { 200: pollSchema } } }, () => pollAnswer);

  app.post(
    '/votes',
    { schema: { body: castVoteSchema, response: { 202: voteAcceptedSchema } } },
    async (request, reply) => {
      const { voterId, option } = request.body;
      // Resolves once Redis has the vote in its fsynced append-only file; rejects with a 503 in bounded time.
      const id = await voteLog.append({ voterId, option, requestId: request.id });
      return reply.code(202).send({ message: 'Vote accepted', id, option });
    },
  );

  app.post(
    VOTE_BATCH_PATH,
    { schema: { hide: true, body: voteBatchRequestSchema, response: { 200: voteBatchAnswerSchema } } },
    async (request) => {
      // The appends are issued in one turn: node-redis writes them together and Redis fsyncs once for all.
      const answers = await Promise.all(
        request.body.map(async ({ voterId, option, requestId }): Promise<VoteBatchAnswer[number]> => {
          const parsed = castVoteSchema.safeParse({ voterId, option });
          if (!parsed.success) {
            const error = invalidRequest(
              parsed.error.issues.map((issue) => ({ path: ['body', ...issue.path].join('.'), message: issue.message })),
            );
            return { status: 400, body: { error: error.message, details: error.details } };
          }
          try {
            const id = await voteLog.append({ ...parsed.data, requestId: requestId ?? request.id });
            return { status: 202, body: { message: 'Vote accepted', id, option: parsed.data.option } };
          } catch (error) {
            if (!(error instanceof ServiceUnavailableError)) throw error;
            return { status: 503, body: { error: error.message, details: [] }, retryAfter: error.retryAfterSeconds };
          }
        }),
      );
      const refused = answers.filter((answer) => answer.status === 503).length;
      if (refused > 0) request.log.warn({ refused, votes: answers.length }, 'the vote log refused votes of a batch');
      return answers;
    },
  );
}
