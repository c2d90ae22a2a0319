import { z } from 'zod';

/** The body of every 4xx and 5xx answer, from every service. */
export const errorResponseSchema = z
  .object({
    error: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .meta({ id: 'Error' });

export type ErrorResponse = z.infer<typeof errorResponseSchema>;
