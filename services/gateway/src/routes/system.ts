import {
  cpuHogRequestSchema,
  errorResponseSchema,
  hogListSchema,
  hogSchema,
  memoryHogRequestSchema,
  SYSTEM_SAMPLE_EVENT,
  systemInfoSchema,
} from '@shipshape/contracts';
import type { AppServer } from '@shipshape/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { EventStreamProxy } from '../eventStream.js';
import type { Upstream } from '../upstream.js';
import { bodyErrors, clientErrors, upstreamErrors } from './schemas.js';

const tags = ['system'];
const hogsOff = {
  403: errorResponseSchema.describe('Hogs are off here: the system service runs without SYSTEM_HOGS_ENABLED=true'),
};

/**
 * The system API: what the system service's container sees of its OS and its limits, and the hogs
 * that make those limits act. The bounds of a hog are the system service's configuration, so the
 * gateway checks a body's shape and the service its bounds. The stream passes through unbuffered.
 */
export function registerSystemRoutes(app: AppServer, system: Upstream, systemStream: EventStreamProxy): void {
  // The service serves the same paths without the `/api` prefix.
  const forward = (request: FastifyRequest, reply: FastifyReply) =>
    system.forward(request, reply, request.url.slice('/api'.length), request.rawBody ?? undefined);

  app.get(
    '/api/system',
    {
      schema: {
        tags,
        summary: 'What the container sees',
        description:
          'Host name, OS, kernel, uptime, CPUs, load and memory as the system service’s process sees them, and its ' +
          'container’s CPU, memory and process limits, reservations and use, read from cgroup v1 or v2. Every ' +
          'figure is a number in base units (bytes, seconds, cores); `null` where the kernel gives none, “no ' +
          'limit” included.',
        response: { 200: systemInfoSchema, ...clientErrors, ...upstreamErrors },
      },
    },
    forward,
  );

  app.get(
    '/api/system/stream',
    {
      schema: {
        tags,
        summary: 'What the container uses, live',
        description:
          `Server-Sent Events: \`event: ${SYSTEM_SAMPLE_EVENT}\` once a second while the client listens (CPU ` +
          'cores used, memory used, throttling, OOM kills, the hogs); nothing is sampled while no one listens.',
        produces: ['text/event-stream'],
        response: {
          200: z.string().describe('`text/event-stream`; each event’s data is a `SystemSample`'),
          429: clientErrors[429],
          ...upstreamErrors,
        },
      },
    },
    (request, reply) => systemStream.forward(request, reply, '/system/stream'),
  );

  app.get(
    '/api/system/hogs',
    {
      schema: {
        tags,
        summary: 'List the hogs',
        description: 'Every hog started since the service started, running or ended, oldest first.',
        response: { 200: hogListSchema, ...clientErrors, ...upstreamErrors },
      },
    },
    forward,
  );

  app.post(
    '/api/system/hogs/cpu',
    {
      schema: {
        tags,
        summary: 'Start a CPU hog',
        description:
          'Busy worker threads for `seconds`: watch `usageCoresNow` stay at the CPU limit and `throttledPeriods` ' +
          'grow. At most `SYSTEM_HOG_MAX_WORKERS` workers and `SYSTEM_HOG_MAX_SECONDS` seconds (a 400 names the bound).',
        body: cpuHogRequestSchema,
        response: { 202: hogSchema, ...bodyErrors, ...hogsOff, ...upstreamErrors },
      },
    },
    forward,
  );

  app.post(
    '/api/system/hogs/memory',
    {
      schema: {
        tags,
        summary: 'Start a memory hog',
        description:
          'A child process that allocates and touches `megabytes` step by step, then holds them for `seconds`. ' +
          'Over the container’s memory limit the kernel kills the child, not the service: its state becomes ' +
          '`killed: out of memory` and `oomKills` grows. At most `SYSTEM_HOG_MAX_MEGABYTES`.',
        body: memoryHogRequestSchema,
        response: { 202: hogSchema, ...bodyErrors, ...hogsOff, ...upstreamErrors },
      },
    },
    forward,
  );

  app.delete(
    '/api/system/hogs',
    {
      schema: {
        tags,
        summary: 'Stop every hog',
        description: 'Stops every running hog and answers the list, each ended.',
        response: { 200: hogListSchema, ...clientErrors, ...upstreamErrors },
      },
    },
    forward,
  );
}
