import { pollSchema, voteAcceptedSchema, voteCastSchemaFor, type Poll } from '@shipshape/contracts';
import type { AppServer } from '@shipshape/platform';
import type { VoteLog } from '@shipshape/votelog';

/**
 * `GET /poll` and `POST /votes`, which the gateway reaches for `/api/poll` and `/api/votes`. The
 * gateway knows the voter (its cookie) and sends `{ voterId, option }`; the option is checked here,
 * against the poll this service was configured with.
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
}
