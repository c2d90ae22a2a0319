import { z } from 'zod';

/**
 * `GET /api/status`: every service as the gateway sees it, for the dashboard's overview (issue 13).
 * `up`: its `/ready` answered 200; `not ready`: it answered, but a dependency of its own is down;
 * `down`: it did not answer within the bound.
 */
export const SERVICE_STATES = ['up', 'not ready', 'down'] as const;

export const serviceStatusSchema = z.object({
  name: z.string(),
  state: z.enum(SERVICE_STATES),
  /** The version its `/ready` reports; null when it did not answer. */
  version: z.string().nullable(),
  /** Its readiness checks as it reported them (`ok` or the reason). */
  checks: z.record(z.string(), z.string()),
  /** How long it took to answer; null when it did not. */
  latencyMs: z.number().nonnegative().nullable(),
  /** Why it is down or not ready, in a sentence. */
  error: z.string().nullable(),
});

export const statusSchema = z
  .object({
    checkedAt: z.iso.datetime(),
    services: z.array(serviceStatusSchema),
  })
  .meta({ id: 'Status' });

export type ServiceState = (typeof SERVICE_STATES)[number];
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;
export type Status = z.infer<typeof statusSchema>;
