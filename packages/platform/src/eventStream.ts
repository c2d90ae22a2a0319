import type { FastifyRequest } from 'fastify';
import { NotAcceptableError } from './errors.js';

/**
 * True unless `accept` names media types and none of them admits `text/event-stream` (a `q=0` refuses).
 * Checked before @fastify/sse's own gate, whose 406 body is not the `{ error, details }` of every answer.
 */
export function acceptsEventStream(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const [type = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    if (quality !== undefined && Number(quality.slice(2)) === 0) return false;
    return type === 'text/event-stream' || type === 'text/*' || type === '*/*';
  });
}

/**
 * A preHandler for the event-stream routes of every service: a client whose Accept refuses the stream
 * gets a 406 in the standard error shape, mapped by `createServer` like any other error.
 */
export async function refuseOtherMediaTypes(request: FastifyRequest): Promise<void> {
  if (!acceptsEventStream(request.headers.accept)) {
    throw new NotAcceptableError('This stream is text/event-stream; the Accept header refuses it', [
      { path: 'headers.accept', message: 'must admit text/event-stream' },
    ]);
  }
}
