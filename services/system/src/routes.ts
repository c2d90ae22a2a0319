import { fastifySSE } from '@fastify/sse';
import {
  cpuHogRequestSchema,
  hogListSchema,
  hogSchema,
  memoryHogRequestSchema,
  SYSTEM_SAMPLE_EVENT,
  systemInfoSchema,
  type SystemSample,
} from '@shipshape/contracts';
import { refuseOtherMediaTypes, type AppServer } from '@shipshape/platform';
import type { FastifyReply } from 'fastify';
import type { Hogs } from './hogs.js';
import type { ContainerSample, Sampler } from './sampler.js';
import type { SystemInfo } from '@shipshape/contracts';

export interface SystemRouteOptions {
  info: () => Promise<SystemInfo>;
  sampler: Sampler;
  hogs: Hogs;
  heartbeatMs: number;
}

/**
 * `GET /system`, `GET /system/stream` and the hogs, which the gateway reaches for `/api/system…`.
 * Every stream is ended before the server closes, or closing would wait for clients that never leave.
 */
export async function registerSystemRoutes(app: AppServer, options: SystemRouteOptions): Promise<void> {
  const { info, sampler, hogs, heartbeatMs } = options;
  await app.register(fastifySSE, { heartbeatInterval: heartbeatMs });
  const streams = new Set<FastifyReply>();
  app.addHook('preClose', async () => {
    for (const reply of streams) await reply.sse.close();
  });

  const sampleOf = ({ at, container }: ContainerSample): SystemSample => ({
    at: at.toISOString(),
    cpu: container.cpu,
    memory: container.memory,
    hogs: hogs.list(),
  });

  app.get('/system', { schema: { response: { 200: systemInfoSchema } } }, () => info());

  app.get('/system/stream', { sse: 'only', preHandler: refuseOtherMediaTypes }, async (request, reply) => {
    reply.sse.keepAlive();
    // Tells nginx (and proxies that follow it) not to buffer the stream.
    reply.header('x-accel-buffering', 'no');
    reply.header('cache-control', 'no-cache');
    // Committed as a stream now: the first sample may take a moment (two readings), and a handler that
    // returns before any write would otherwise be answered as an empty 200.
    reply.sse.sendHeaders();
    const unsubscribe = sampler.subscribe((sample) => {
      void reply.sse.send({ event: SYSTEM_SAMPLE_EVENT, data: sampleOf(sample) }).catch(() => {});
    });
    streams.add(reply);
    reply.sse.onClose(() => {
      // The last client gone stops the sampler: no one listening, nothing read.
      unsubscribe();
      streams.delete(reply);
      request.log.debug({ clients: sampler.listeners }, 'system stream closed');
    });
  });

  app.get('/system/hogs', { schema: { response: { 200: hogListSchema } } }, () => hogs.list());
  app.delete('/system/hogs', { schema: { response: { 200: hogListSchema } } }, () => hogs.stopAll());

  // Off is a 403 whatever the body: checked before the body is validated.
  const preValidation = async () => hogs.assertEnabled();
  app.post(
    '/system/hogs/cpu',
    { preValidation, schema: { body: cpuHogRequestSchema, response: { 202: hogSchema } } },
    async (request, reply) => reply.code(202).send(hogs.startCpu(request.body)),
  );
  app.post(
    '/system/hogs/memory',
    { preValidation, schema: { body: memoryHogRequestSchema, response: { 202: hogSchema } } },
    async (request, reply) => reply.code(202).send(hogs.startMemory(request.body)),
  );
}
