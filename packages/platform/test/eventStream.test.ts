/** The Accept check of every event-stream route, and its 406 in the standard error shape. */
import { afterAll, describe, expect, it } from 'vitest';
import { acceptsEventStream, refuseOtherMediaTypes } from '../src/eventStream.js';
import { createLogger } from '../src/logger.js';
import { createServer } from '../src/server.js';

describe('acceptsEventStream', () => {
  it('admits no Accept, the stream, text/* and */*, and refuses the rest and q=0', () => {
    for (const accept of [undefined, '', 'text/event-stream', 'text/*', '*/*', 'application/json, */*;q=0.1']) {
      expect(acceptsEventStream(accept), String(accept)).toBe(true);
    }
    for (const accept of ['application/json', 'text/html, application/xml', 'text/event-stream;q=0']) {
      expect(acceptsEventStream(accept), accept).toBe(false);
    }
  });
});

describe('refuseOtherMediaTypes', () => {
  const app = createServer({ service: 'stream-test', logger: createLogger('stream-test', 'silent') });
  app.get('/stream', { preHandler: refuseOtherMediaTypes }, async () => 'ok');
  afterAll(() => app.close());

  it('answers 406 with the standard body when the client refuses the stream, and lets the rest through', async () => {
    const refused = await app.inject({ url: '/stream', headers: { accept: 'application/json' } });
    expect(refused.statusCode).toBe(406);
    expect(refused.json()).toEqual({
      error: 'This stream is text/event-stream; the Accept header refuses it',
      details: [{ path: 'headers.accept', message: 'must admit text/event-stream' }],
    });
    const admitted = await app.inject({ url: '/stream', headers: { accept: 'text/event-stream' } });
    expect(admitted.statusCode).toBe(200);
  });
});
