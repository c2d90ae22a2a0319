import { z } from 'zod';
import type { ErrorResponse } from './errors.js';

export const MAX_TITLE_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 5_000;
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1_000;
const MAX_ID = 2_147_483_647; // PostgreSQL integer

/** A movie as every API answers it: exactly these three keys (crud-master shape). */
export const movieSchema = z
  .object({
    id: z.number().int().positive(),
    title: z.string(),
    description: z.string(),
  })
  .meta({ id: 'Movie' });

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string PostgreSQL can store verbatim: text columns cannot hold NUL, and an unpaired surrogate
 * has no UTF-8 form (it would be stored as U+FFFD). Rejected here, they are a 400 naming the field
 * instead of a database error.
 */
function text(field: string) {
  return z.string({
    error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`),
  });
}
function storable<T extends z.ZodString>(schema: T, field: string): T {
  return schema
    .refine((value) => !value.includes('\u0000'), `${field} must not contain NUL characters`)
    .refine((value) => !UNPAIRED_SURROGATE.test(value), `${field} must be valid Unicode text`) as T;
}

/** Characters that show nothing: format characters (zero-width space and joiners, BOM) and white space. */
const INVISIBLE = /[\p{Cf}\p{White_Space}]/gu;

const title = storable(
  text('title')
    .trim()
    .min(1, 'title must not be empty')
    .max(MAX_TITLE_LENGTH, `title must be at most ${MAX_TITLE_LENGTH} characters`),
  'title',
).refine((value) => value.replace(INVISIBLE, '').length > 0, 'title must have a visible character');
const description = storable(
  text('description').max(MAX_DESCRIPTION_LENGTH, `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`),
  'description',
);

export const createMovieSchema = z
  .strictObject({ title, description: description.default('') })
  .meta({ id: 'NewMovie' });

export const updateMovieSchema = z
  .strictObject({ title: title.optional(), description: description.optional() })
  .refine((update) => update.title !== undefined || update.description !== undefined, {
    message: 'give at least one of title, description',
  })
  .meta({ id: 'MovieUpdate' });

/** Ids arrive as path strings; anything but a positive integer that fits the column is malformed. */
export const movieIdParamsSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,9}$/, 'id must be a positive integer')
    .transform(Number)
    .refine((id) => id <= MAX_ID, `id must be at most ${MAX_ID}`),
});

/** Lists answer a page as a JSON array; the number of all matching items travels in this header. */
export const TOTAL_COUNT_HEADER = 'x-total-count';

/**
 * A query parameter that is a plain decimal integer: `0x10`, `1e3`, `1.5`, ` 10` and an empty value are
 * not numbers here (a lenient `Number()` would take most of them), and a parameter given twice is refused.
 */
function integerParameter(field: string, min: number, max: number, fallback: number) {
  return z
    .string({ error: `${field} must be given once, as a decimal integer` })
    .regex(/^\d{1,10}$/, `${field} must be a decimal integer`)
    .transform(Number)
    .pipe(z.number().min(min, `${field} must be at least ${min}`).max(max, `${field} must be at most ${max}`))
    .default(fallback);
}

export const pageQuery = {
  limit: integerParameter('limit', 1, MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT),
  offset: integerParameter('offset', 0, MAX_ID, 0),
};

/** Lists refuse parameters they do not know, rather than ignore a misspelt one. */
export const listMoviesQuerySchema = z.strictObject({
  ...pageQuery,
  /** Case-insensitive substring of the title; `%`, `_` and backslashes in it match literally. */
  title: storable(
    text('title').max(MAX_TITLE_LENGTH, `title must be at most ${MAX_TITLE_LENGTH} characters`),
    'title',
  ).optional(),
});

export const movieListSchema = z.array(movieSchema);

/** What every service answers for an id that no movie has (inventory, and the gateway's lookups). */
export function movieNotFound(id: number): ErrorResponse {
  return { error: `Movie ${id} not found`, details: [{ path: 'params.id', message: `no movie has id ${id}` }] };
}

/**
 * Service to service only (the gateway does not route it): several movies by id in one request, which
 * the gateway uses to send the `GET /api/movies/:id` requests that arrive together as one.
 */
export const MOVIE_LOOKUP_PATH = '/internal/movies';
export const MAX_LOOKUP_IDS = 100;
/** The request ids of the client requests a lookup serves, comma-separated, for inventory's log. */
export const LOOKUP_REQUEST_IDS_HEADER = 'x-request-ids';

export const movieLookupQuerySchema = z.strictObject({
  ids: z
    .string()
    .regex(/^[1-9]\d{0,9}(,[1-9]\d{0,9})*$/, 'ids must be positive integers separated by commas')
    .transform((ids) => ids.split(',').map(Number))
    .refine((ids) => ids.length <= MAX_LOOKUP_IDS, `ids must be at most ${MAX_LOOKUP_IDS}`)
    .refine((ids) => ids.every((id) => id <= MAX_ID), `every id must be at most ${MAX_ID}`),
});

/** The movie of each id asked for, in the same order; `null` where no movie has that id. */
export const movieLookupSchema = z.array(movieSchema.nullable());

export type Movie = z.infer<typeof movieSchema>;
export type NewMovie = z.infer<typeof createMovieSchema>;
export type MovieUpdate = z.infer<typeof updateMovieSchema>;
export type ListMoviesQuery = z.infer<typeof listMoviesQuerySchema>;
