import { errorResponseSchema } from '@shipshape/contracts';
import { z } from 'zod';

/** Answers any route of the gateway may give besides its own (validation, rate limit). */
export const clientErrors = {
  400: errorResponseSchema.describe('The request does not fit the schema; `details` names each field'),
  429: errorResponseSchema.describe('Too many requests from this client; see Retry-After'),
} as const;

/** Answers of a route whose body is validated. */
export const bodyErrors = {
  ...clientErrors,
  413: errorResponseSchema.describe('The request body is larger than the limit'),
  415: errorResponseSchema.describe('The request body is not JSON'),
} as const;

/** Answers of a route forwarded to an upstream service. */
export const upstreamErrors = {
  503: errorResponseSchema.describe('The upstream service is unavailable; see Retry-After'),
  504: errorResponseSchema.describe('The upstream service did not answer in time'),
} as const;

export const noContent = z.null().describe('No content');
