import {
  createMovieSchema,
  errorResponseSchema,
  listMoviesQuerySchema,
  movieIdParamsSchema,
  movieListSchema,
  movieSchema,
  updateMovieSchema,
} from '@shipshape/contracts';
import type { AppServer } from '@shipshape/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MovieLookups } from '../movieLookups.js';
import type { Upstream } from '../upstream.js';
import { bodyErrors, clientErrors, noContent, upstreamErrors } from './schemas.js';

const tags = ['movies'];
const notFound = { 404: errorResponseSchema.describe('No movie has this id') };
const badUpstreamAnswer = { 502: errorResponseSchema.describe('Inventory answered something the gateway cannot use') };

/**
 * The movies API, declared here with the shared schemas so that requests are validated at the edge
 * and documented, then forwarded as they came (same path, query and body bytes) to inventory; only
 * `GET /api/movies/:id` goes through the collapser (movieLookups.ts), which answers it alike.
 */
export function registerMovieRoutes(app: AppServer, inventory: Upstream, movieLookups: MovieLookups): void {
  // Inventory serves the same paths, so the raw URL (path and query) is forwarded unchanged.
  const forward = (request: FastifyRequest, reply: FastifyReply) => inventory.forward(request, reply, request.url);
  const forwardWithBody = (request: FastifyRequest, reply: FastifyReply) =>
    inventory.forward(request, reply, request.url, request.rawBody ?? undefined);

  app.get(
    '/api/movies',
    {
      schema: {
        tags,
        summary: 'List movies',
        description:
          'Movies ordered by id, `limit`/`offset` paged; `title` keeps those whose title contains it ' +
          '(case-insensitive, literal). The `X-Total-Count` header gives the number of matching movies.',
        querystring: listMoviesQuerySchema,
        response: { 200: movieListSchema, ...clientErrors, ...upstreamErrors },
      },
    },
    forward,
  );

  app.post(
    '/api/movies',
    {
      schema: {
        tags,
        summary: 'Create a movie',
        body: createMovieSchema,
        response: { 201: movieSchema, ...bodyErrors, ...upstreamErrors },
      },
    },
    forwardWithBody,
  );

  app.delete(
    '/api/movies',
    {
      schema: {
        tags,
        summary: 'Delete every movie',
        response: { 204: noContent, ...clientErrors, ...upstreamErrors },
      },
    },
    forward,
  );

  app.get(
    '/api/movies/:id',
    {
      schema: {
        tags,
        summary: 'Get a movie',
        params: movieIdParamsSchema,
        response: { 200: movieSchema, ...clientErrors, ...notFound, ...upstreamErrors, ...badUpstreamAnswer },
      },
    },
    (request, reply) => movieLookups.answer(request, reply, request.params.id),
  );

  app.put(
    '/api/movies/:id',
    {
      schema: {
        tags,
        summary: 'Update a movie',
        description: 'Updates the fields given (at least one); a field left out keeps its value.',
        params: movieIdParamsSchema,
        body: updateMovieSchema,
        response: { 200: movieSchema, ...bodyErrors, ...notFound, ...upstreamErrors },
      },
    },
    forwardWithBody,
  );

  app.delete(
    '/api/movies/:id',
    {
      schema: {
        tags,
        summary: 'Delete a movie',
        params: movieIdParamsSchema,
        response: { 204: noContent, ...clientErrors, ...notFound, ...upstreamErrors },
      },
    },
    forward,
  );
}
