import fastifyCookie from '@fastify/cookie';
import {
  newVoterId,
  pollSchema,
  RESULTS_EVENT,
  resultsSchema,
  voteAcceptedSchema,
  VOTER_COOKIE,
  voteRequestSchema,
  voterIdSchema,
} from '@shipshape/contracts';
import type { AppServer } from '@shipshape/platform';
import { z } from 'zod';
import type { EventStreamProxy } from '../eventStream.js';
import type { Upstream } from '../upstream.js';
import type { VoteBatches } from '../voteBatches.js';
import { bodyErrors, clientErrors, upstreamErrors } from './schemas.js';

export interface VoteRouteOptions {
  vote: Upstream;
  voteBatches: VoteBatches;
  result: Upstream;
  resultStream: EventStreamProxy;
  /** Adds `Secure` to the voter cookie: set it when clients reach the gateway over HTTPS only. */
  secureCookie: boolean;
}

const tags = ['votes'];
const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * The voting API. The gateway knows the voter by the `voter_id` cookie, issuing a new random id when
 * there is none (or a malformed one), and sends the vote service `{ voterId, option }` (the votes of
 * one turn together, voteBatches.ts); the option is checked there against the poll. The results stream passes through unbuffered (eventStream.ts).
 */
export async function registerVoteRoutes(app: AppServer, options: VoteRouteOptions): Promise<void> {
  const { vote, voteBatches, result, resultStream, secureCookie } = options;
  await app.register(fastifyCookie);

  app.get(
    '/api/poll',
    {
      schema: {
        tags,
        summary: 'The poll',
        description: 'The question and its options, in the order to show them.',
        response: { 200: pollSchema, ...clientErrors, ...upstreamErrors },
      },
    },
    (request, reply) => vote.forward(request, reply, '/poll'),
  );

  app.post(
    '/api/votes',
    {
      schema: {
        tags,
        summary: 'Vote',
        description:
          'Answers 202 once the vote is durable (in Redis’s fsynced append-only file); the worker counts it ' +
          'shortly after. The voter is known by the `voter_id` cookie, issued with the answer when the request ' +
          'has none: one current vote per voter, a later vote replaces the earlier one.',
        body: voteRequestSchema,
        response: {
          202: voteAcceptedSchema,
          ...bodyErrors,
          ...upstreamErrors,
        },
      },
    },
    (request, reply) => {
      const given = request.cookies[VOTER_COOKIE];
      let voterId = given;
      if (voterId === undefined || !voterIdSchema.safeParse(voterId).success) {
        voterId = newVoterId();
        reply.setCookie(VOTER_COOKIE, voterId, {
          httpOnly: true,
          sameSite: 'lax',
          path: '/',
          maxAge: ONE_YEAR_SECONDS,
          secure: secureCookie,
        });
      }
      voteBatches.cast(request, reply, { voterId, option: request.body.option });
    },
  );

  app.get(
    '/api/results',
    {
      schema: {
        tags,
        summary: 'The results',
        description:
          'Votes per option in the poll’s order; `total` is the number of voters counted. Read from counts ' +
          'kept with the votes, so it costs the same whatever the number of voters.',
        response: { 200: resultsSchema, ...clientErrors, ...upstreamErrors },
      },
    },
    (request, reply) => result.forward(request, reply, '/results'),
  );

  app.get(
    '/api/results/stream',
    {
      schema: {
        tags,
        summary: 'The results, live',
        description:
          `Server-Sent Events: \`event: ${RESULTS_EVENT}\` with the results (as \`GET /api/results\`) at once, then ` +
          'after every change, at most one per 100 ms; a comment line every 15 s keeps proxies from closing it.',
        produces: ['text/event-stream'],
        response: {
          200: z.string().describe('`text/event-stream`; each event’s data is a `Results`'),
          429: clientErrors[429],
          ...upstreamErrors,
        },
      },
    },
    (request, reply) => resultStream.forward(request, reply, '/results/stream'),
  );
}
