import { z } from 'zod';

/**
 * The system application (issue 12): what the container sees of its OS and its limits, and the hogs
 * that make those limits act. Every figure is a number in base units (bytes, seconds, cores), `null`
 * where the kernel gives none ("no limit" included).
 */

/** The event name of every message on `GET /api/system/stream`. */
export const SYSTEM_SAMPLE_EVENT = 'sample';

const count = z.number().int().nonnegative();
const orNull = <T extends z.ZodType>(schema: T) => schema.nullable();

export const containerCpuSchema = z.object({
  /** quota / period: 0.5 for `--cpus 0.5`; null without a quota. */
  limitCores: orNull(z.number().positive()),
  /** v2 `cpu.weight` (1–10000), v1 `cpu.shares`, as the kernel gives it. */
  weight: orNull(count),
  /** Cores used over the last sampling interval (null before a second reading). */
  usageCoresNow: orNull(z.number().nonnegative()),
  throttledPeriods: orNull(count),
  throttledSeconds: orNull(z.number().nonnegative()),
});

export const containerMemorySchema = z.object({
  limitBytes: orNull(count),
  /** v2 `memory.low`, v1 `memory.soft_limit_in_bytes`. */
  reservationBytes: orNull(count),
  usageBytes: orNull(count),
  peakBytes: orNull(count),
  oomKills: orNull(count),
});

export const containerSchema = z.object({
  cgroup: z.enum(['v1', 'v2']).nullable(),
  cpu: containerCpuSchema,
  memory: containerMemorySchema,
  pids: z.object({ limit: orNull(count), current: orNull(count) }),
});

export const HOG_KINDS = ['cpu', 'memory'] as const;
export const HOG_STATES = ['running', 'finished', 'stopped', 'killed: out of memory', 'failed'] as const;

export const hogSchema = z
  .object({
    id: z.string(),
    kind: z.enum(HOG_KINDS),
    state: z.enum(HOG_STATES),
    /** Worker threads (cpu hogs). */
    workers: z.number().int().positive().optional(),
    /** The target (memory hogs) and how much the child has touched so far. */
    megabytes: z.number().int().positive().optional(),
    allocatedBytes: count.optional(),
    startedAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    endedAt: z.iso.datetime().nullable(),
    /** Why a failed hog failed. */
    error: z.string().nullable(),
  })
  .meta({ id: 'Hog' });

export const hogListSchema = z.array(hogSchema).meta({ id: 'HogList' });

/** Whether hogs may be started here, and their bounds; `reason` says why not when they are off. */
export const hogSettingsSchema = z.object({
  enabled: z.boolean(),
  reason: z.string().nullable(),
  maxWorkers: z.number().int().positive(),
  maxSeconds: z.number().positive(),
  maxMegabytes: z.number().int().positive(),
});

export const systemInfoSchema = z
  .object({
    hostname: z.string(),
    os: z.object({
      /** `/etc/os-release` PRETTY_NAME; null where there is none. */
      name: z.string().nullable(),
      platform: z.string(),
      kernel: z.string(),
      arch: z.string(),
    }),
    uptimeSeconds: z.object({ host: z.number().nonnegative(), process: z.number().nonnegative() }),
    node: z.string(),
    cpu: z.object({
      count: z.number().int().positive(),
      model: z.string().nullable(),
      loadAverage: z.tuple([z.number(), z.number(), z.number()]),
    }),
    memory: z.object({ totalBytes: count, freeBytes: count }),
    container: containerSchema,
    process: z.object({
      pid: z.number().int().positive(),
      uid: z.number().int().nonnegative().nullable(),
      rssBytes: count,
      heapUsedBytes: count,
    }),
    hogs: hogSettingsSchema,
  })
  .meta({ id: 'SystemInfo' });

/** One `event: sample` of the stream, a second apart. */
export const systemSampleSchema = z
  .object({
    at: z.iso.datetime(),
    cpu: containerCpuSchema,
    memory: containerMemorySchema,
    hogs: hogListSchema,
  })
  .meta({ id: 'SystemSample' });

export const cpuHogRequestSchema = z
  .strictObject({
    workers: z.number().int().positive(),
    seconds: z.number().positive(),
  })
  .meta({ id: 'CpuHogRequest' });

export const memoryHogRequestSchema = z
  .strictObject({
    megabytes: z.number().int().positive(),
    seconds: z.number().positive(),
  })
  .meta({ id: 'MemoryHogRequest' });

export type ContainerView = z.infer<typeof containerSchema>;
export type Hog = z.infer<typeof hogSchema>;
export type HogSettings = z.infer<typeof hogSettingsSchema>;
export type SystemInfo = z.infer<typeof systemInfoSchema>;
export type SystemSample = z.infer<typeof systemSampleSchema>;
export type CpuHogRequest = z.infer<typeof cpuHogRequestSchema>;
export type MemoryHogRequest = z.infer<typeof memoryHogRequestSchema>;
