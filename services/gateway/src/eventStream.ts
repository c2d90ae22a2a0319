import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { REQUEST_ID_HEADER } from '@shipshape/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Pool, type Dispatcher } from 'undici';
import { sendAnswer, upstreamFailure, type UpstreamOptions } from './upstream.js';

export interface EventStreamOptions extends Omit<UpstreamOptions, 'connections'> {
  /** Longest silence on an open stream before it is given up; the upstream's heartbeats keep it under. */
  idleTimeoutMs: number;
  /** Most streams open to the upstream at once: each client holds one. */
  connections: number;
}

/** Server-Sent Events from an upstream, passed to clients chunk by chunk. */
export interface EventStreamProxy {
  /** Streams the upstream's `path` to `reply`; an answer that is not a stream is passed on as it is. */
  forward(request: FastifyRequest, reply: FastifyReply, path: string): void;
  /** Ends every open stream (the server cannot close while clients hold them), then the pool. */
  close(): Promise<void>;
  readonly open: number;
}

/**
 * Streams pass through without buffering: each chunk is written to the client as it comes, with a
 * pause when the client reads slower (backpressure reaches the upstream). A client that goes away
 * aborts its upstream request at once, so the upstream forgets it too.
 */
export function createEventStreamProxy(options: EventStreamOptions): EventStreamProxy {
  const origin = new URL(options.url).origin;
  const pool = new Pool(origin, {
    connections: options.connections,
    connect: { timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.idleTimeoutMs,
  });
  const open = new Set<Dispatcher.DispatchController>();

  return {
    forward(request, reply, path) {
      pool.dispatch(
        {
          path,
          method: 'GET',
          headers: [REQUEST_ID_HEADER, request.id, 'accept', 'text/event-stream'],
          body: null,
        },
        new StreamingHandler(reply, open, (error) => upstreamFailure(error, options)),
      );
    },
    async close() {
      for (const controller of open) controller.abort(new Error('the gateway is stopping'));
      await pool.close();
    },
    get open() {
      return open.size;
    },
  };
}

class StreamingHandler implements Dispatcher.DispatchHandler {
  private streaming = false;
  private statusCode = 0;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] = [];
  private controller: Dispatcher.DispatchController | undefined;

  constructor(
    private readonly reply: FastifyReply,
    private readonly open: Set<Dispatcher.DispatchController>,
    private readonly failure: (error: Error) => Error,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const raw = this.reply.raw;
    if (raw.destroyed) {
      controller.abort(new Error('the client went away'));
      return;
    }
    this.controller = controller;
    this.open.add(controller);
    raw.once('close', () => {
      this.open.delete(controller);
      if (!controller.aborted) controller.abort(new Error('the client went away'));
    });
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    const type = String(headers['content-type'] ?? '');
    if (statusCode !== 200 || !type.startsWith('text/event-stream')) {
      this.statusCode = statusCode;
      this.headers = headers;
      return;
    }
    this.streaming = true;
    const { reply } = this;
    // The stream is written straight to the socket from here on; Fastify's reply is done with.
    reply.hijack();
    reply.raw.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': type,
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    reply.raw.flushHeaders();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.streaming) {
      this.chunks.push(chunk);
      return;
    }
    const raw = this.reply.raw;
    if (!raw.write(chunk)) {
      controller.pause();
      raw.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.done();
    if (this.streaming) {
      this.reply.raw.end();
      return;
    }
    sendAnswer(this.reply, { statusCode: this.statusCode, headers: this.headers, body: Buffer.concat(this.chunks) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.done();
    if (this.streaming) {
      // Mid-stream there is no status left to send: ending the response tells the client to reconnect.
      this.reply.raw.end();
      return;
    }
    if (!this.reply.sent && !this.reply.raw.destroyed) this.reply.send(this.failure(error));
  }

  private done(): void {
    if (this.controller) this.open.delete(this.controller);
  }
}
