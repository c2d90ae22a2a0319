import {
  createMovieSchema,
  listMoviesQuerySchema,
  LOOKUP_REQUEST_IDS_HEADER,
  MOVIE_LOOKUP_PATH,
  movieIdParamsSchema,
  movieListSchema,
  movieLookupQuerySchema,
  movieLookupSchema,
  movieNotFound as movieNotFoundResponse,
  movieSchema,
  TOTAL_COUNT_HEADER,
  updateMovieSchema,
} from '@shipshape/contracts';
import { NotFoundError, type AppServer } from '@shipshape/platform';
import type { MoviesRepository } from './moviesRepository.js';

/** The inventory serves the public paths itself, so the gateway forwards `/api/movies*` unchanged. */
export const MOVIES_PATH = '/api/movies';

function movieNotFound(id: number): NotFoundError {
  const { error, details } = movieNotFoundResponse(id);
  return new NotFoundError(error, details);
}

/**
 * The movies API with the crud-master shapes. Requests are validated and responses shaped by the
 * shared contracts (unknown fields rejected, exactly id/title/description answered).
 */
export function registerMovieRoutes(app: AppServer, movies: MoviesRepository): void {
  app.get(
    MOVIES_PATH,
    { schema: { querystring: listMoviesQuerySchema, response: { 200: movieListSchema } } },
    async (request, reply) => {
      const page = await movies.list(request.query);
      reply.header(TOTAL_COUNT_HEADER, String(page.total));
      return page.movies;
    },
  );

  app.post(
    MOVIES_PATH,
    { schema: { body: createMovieSchema, response: { 201: movieSchema } } },
    async (request, reply) => {
      const movie = await movies.create(request.body);
      return reply.code(201).send(movie);
    },
  );

  app.delete(MOVIES_PATH, async (_request, reply) => {
    await movies.deleteAll();
    return reply.code(204).send();
  });

  app.get(
    `${MOVIES_PATH}/:id`,
    { schema: { params: movieIdParamsSchema, response: { 200: movieSchema } } },
    async (request) => {
      const movie = await movies.get(request.params.id);
      if (!movie) throw movieNotFound(request.params.id);
      return movie;
    },
  );

  // The gateway's batched `GET /api/movies/:id` (see the gateway's movieLookups.ts). The lookups go
  // through the repository one by one so that they join whatever statement is gathering ids anyway.
  // The access log line names the client requests served, so each can be followed here by its id.
  app.get(
    MOVIE_LOOKUP_PATH,
    { schema: { hide: true, querystring: movieLookupQuerySchema, response: { 200: movieLookupSchema } } },
    async (request) => {
      const requestIds = request.headers[LOOKUP_REQUEST_IDS_HEADER];
      if (typeof requestIds === 'string') request.log = request.log.child({ requestIds: requestIds.split(',') });
      return Promise.all(request.query.ids.map(async (id) => (await movies.get(id)) ?? null));
    },
  );

  app.put(
    `${MOVIES_PATH}/:id`,
    { schema: { params: movieIdParamsSchema, body: updateMovieSchema, response: { 200: movieSchema } } },
    async (request) => {
      const movie = await movies.update(request.params.id, request.body);
      if (!movie) throw movieNotFound(request.params.id);
      return movie;
    },
  );

  app.delete(`${MOVIES_PATH}/:id`, { schema: { params: movieIdParamsSchema } }, async (request, reply) => {
    if (!(await movies.delete(request.params.id))) throw movieNotFound(request.params.id);
    return reply.code(204).send();
  });
}
