/**
 * Forwarding to the upstream services, against real HTTP servers standing in for inventory and billing:
 * what reaches them, what comes back, and what a client sees when they are down or too slow.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '@shipshape/testkit';
import {
  call,
  startEmbeddedQueue,
  startGateway,
  startUpstream,
  type RunningGateway,
  type TestQueue,
  type TestUpstream,
} from './helpers.js';

// One queue for both gateways of this file (starting PGlite takes a while); nothing here publishes.
let testQueue: TestQueue;
beforeAll(async () => {
  testQueue = await startEmbeddedQueue();
});
afterAll(async () => {
  await testQueue?.close();
});

const bigBody = JSON.stringify(
  Array.from({ length: 2_000 }, (_, i) => ({ id: i + 1, title: `Movie ${i + 1}`, description: 'x'.repeat(100) })),
);

/** Writes `body` in pieces, each after the previous one has left, so the gateway gets several chunks. */
function writeInPieces(response: http.ServerResponse, body: string): void {
  response.setHeader('content-type', 'application/json; charset=utf-8');
  const pieces = body.match(/[\s\S]{1,16384}/g) ?? [];
  const next = () => {
    const piece = pieces.shift();
    if (piece === undefined) return void response.end();
    response.write(piece, () => setTimeout(next, 1));
  };
  next();
}

/**
 * Inventory's batched lookup, as the stand-in answers it: ids up to 100 are movies, others are not.
 * A lookup that includes id 503 fails as inventory does when its database is down; one that includes
 * 502 answers one movie too few.
 */
function answerLookup(url: string, response: http.ServerResponse): void {
  const ids = new URLSearchParams(url.split('?')[1]).get('ids')!.split(',').map(Number);
  response.setHeader('content-type', 'application/json; charset=utf-8');
  if (ids.includes(503)) {
    response.statusCode = 503;
    response.setHeader('retry-after', '9');
    return void response.end('{"error":"The movies database is unavailable, try again later","details":[]}');
  }
  const movies = ids.map((id) => (id <= 100 ? { id, title: `Movie ${id}`, description: '' } : null));
  response.end(JSON.stringify(ids.includes(502) ? movies.slice(1) : movies));
}

describe('forwarding to upstream services', () => {
  let inventory: TestUpstream;
  let billing: TestUpstream;
  let gateway: RunningGateway;

  beforeAll(async () => {
    inventory = await startUpstream((request, response) => {
      if (request.url === '/health') return void response.end('{"status":"ok"}');
      if (request.url.startsWith('/api/movies?title=big')) return void writeInPieces(response, bigBody);
      if (request.url.startsWith('/internal/movies?ids=')) return void answerLookup(request.url, response);
      response.statusCode = request.method === 'POST' ? 201 : 200;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.setHeader('x-total-count', '42');
      response.setHeader('x-internal-secret', 'must not leak');
      // Bytes a re-serialisation would change (spacing, key order), to show they are passed as they are.
      response.end('[ {"title": "Alien",  "id": 1, "description": ""} ]');
    });
    billing = await startUpstream((request, response) => {
      if (request.url === '/health') return void response.end('{"status":"ok"}');
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.setHeader('x-total-count', '3');
      response.end('[]');
    });
    gateway = await startGateway(
      {
        INVENTORY_URL: inventory.url,
        BILLING_URL: billing.url,
        VOTE_URL: billing.url,
        RESULT_URL: billing.url,
        SYSTEM_URL: billing.url,
        PREDICT_URL: billing.url,
      },
      { queue: testQueue.queue },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await inventory?.close();
    await billing?.close();
  });
  afterEach(() => {
    inventory.received.length = 0;
    billing.received.length = 0;
  });

  it('forwards a movies request with its path, query and request id, and passes the answer through', async () => {
    const answer = await call(gateway.url, 'GET', '/api/movies?title=ali%25en&limit=5', undefined, {
      'x-request-id': 'trace-42',
      cookie: 'session=secret',
    });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('[ {"title": "Alien",  "id": 1, "description": ""} ]');
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('x-total-count')).toBe('42');
    expect(answer.headers.get('x-internal-secret')).toBeNull();
    expect(answer.headers.get('x-request-id')).toBe('trace-42');

    expect(inventory.received).toHaveLength(1);
    const [received] = inventory.received;
    expect(received).toMatchObject({ method: 'GET', url: '/api/movies?title=ali%25en&limit=5' });
    expect(received!.headers['x-request-id']).toBe('trace-42');
    expect(received!.headers.cookie).toBeUndefined();
  });

  it('forwards the body bytes the client sent, not a re-serialisation, and the upstream status', async () => {
    const body = '{ "title" : "  Alien  ",\n "description": "caf\\u00e9" }';
    const answer = await call(gateway.url, 'POST', '/api/movies', body);
    expect(answer.status).toBe(201);
    expect(inventory.received[0]!.body.toString()).toBe(body);
    expect(inventory.received[0]!.headers['content-type']).toMatch(/^application\/json/);

    const update = '{"description":"new"}';
    expect((await call(gateway.url, 'PUT', '/api/movies/7?x=1', update)).status).toBe(200);
    expect(inventory.received[1]).toMatchObject({ method: 'PUT', url: '/api/movies/7?x=1' });
    expect(inventory.received[1]!.body.toString()).toBe(update);
  });

  it('passes a large answer that arrives in many pieces through whole', async () => {
    const answer = await call(gateway.url, 'GET', '/api/movies?title=big');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(bigBody);
  });

  it('gives every request an id, and passes it on', async () => {
    const answer = await call(gateway.url, 'DELETE', '/api/movies/3');
    const id = answer.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(inventory.received[0]).toMatchObject({ method: 'DELETE', url: '/api/movies/3' });
    expect(inventory.received[0]!.headers['x-request-id']).toBe(id);
  });

  describe('GET /api/movies/:id', () => {
    /** Starts every GET in the same turn, as requests that arrive together; answers status and body of each. */
    const getTogether = (ids: number[]) =>
      Promise.all(
        ids.map((id, index) =>
          gateway.service.app
            .inject({ method: 'GET', url: `/api/movies/${id}`, headers: { 'x-request-id': `client-${index}` } })
            .then((answer) => ({ status: answer.statusCode, body: answer.json(), headers: answer.headers })),
        ),
      );

    it('sends the lookups that arrive together as one request, and answers each client its own movie', async () => {
      const answers = await getTogether([7, 3, 7, 101]);
      expect(inventory.received).toHaveLength(1);
      const [lookup] = inventory.received;
      expect(lookup).toMatchObject({ method: 'GET', url: '/internal/movies?ids=7,3,7,101' });
      // Each client request can be followed into inventory's log by its own id.
      expect(lookup!.headers['x-request-ids']).toBe('client-0,client-1,client-2,client-3');

      expect(answers.map(({ status, body }) => ({ status, body }))).toEqual([
        { status: 200, body: { id: 7, title: 'Movie 7', description: '' } },
        { status: 200, body: { id: 3, title: 'Movie 3', description: '' } },
        { status: 200, body: { id: 7, title: 'Movie 7', description: '' } },
        {
          status: 404,
          body: { error: 'Movie 101 not found', details: [{ path: 'params.id', message: 'no movie has id 101' }] },
        },
      ]);
      expect(answers.map(({ headers }) => headers['x-request-id'])).toEqual([0, 1, 2, 3].map((i) => `client-${i}`));
      expect(answers.every(({ headers }) => headers['content-type'] === 'application/json; charset=utf-8')).toBe(true);
    });

    it('does not let clients call the lookup itself', async () => {
      expect((await call(gateway.url, 'GET', '/internal/movies?ids=1')).status).toBe(404);
      expect(inventory.received).toHaveLength(0);
    });

    it('sends a lookup at once, without waiting for others', async () => {
      const answer = await call(gateway.url, 'GET', '/api/movies/5');
      expect(answer.body).toEqual({ id: 5, title: 'Movie 5', description: '' });
      expect(inventory.received.map(({ url }) => url)).toEqual(['/internal/movies?ids=5']);
    });

    it('sends at most 100 ids in one lookup', async () => {
      const ids = Array.from({ length: 250 }, (_, index) => (index % 100) + 1);
      const answers = await getTogether(ids);
      expect(answers.map(({ body }) => body.id)).toEqual(ids);
      const sizes = inventory.received.map(({ url }) => url.split('=')[1]!.split(',').length);
      expect(sizes).toEqual([100, 100, 50]);
    });

    it('gives every client of a lookup the failure inventory answered, with its Retry-After', async () => {
      const answers = await getTogether([1, 503]);
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(answer.headers['retry-after']).toBe('9');
        expect(answer.body.error).toMatch(/movies database is unavailable/);
      }
    });

    it('answers 502 to every client of a lookup that inventory answered with the wrong number of movies', async () => {
      const answers = await getTogether([1, 502]);
      for (const answer of answers) {
        expect(answer.status).toBe(502);
        expect(answer.body.error).toMatch(/inventory answered 2 movie lookups with something else/);
      }
    });
  });

  it('forwards GET /api/orders to billing GET /orders with the query', async () => {
    const answer = await call(gateway.url, 'GET', '/api/orders?limit=2&offset=4');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([]);
    expect(answer.headers.get('x-total-count')).toBe('3');
    expect(billing.received.map((r) => r.url)).toEqual(['/orders?limit=2&offset=4']);
    expect((await call(gateway.url, 'GET', '/api/orders')).status).toBe(200);
    expect(billing.received[1]!.url).toBe('/orders');
  });

  it('answers HEAD like GET without a body', async () => {
    const response = await fetch(`${gateway.url}/api/movies/1`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('is ready while its queue and every upstream answer', async () => {
    const ready = await call(gateway.url, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({
      queue: 'ok',
      inventory: 'ok',
      billing: 'ok',
      vote: 'ok',
      result: 'ok',
      system: 'ok',
      predict: 'ok',
    });
  });
});

describe('an inventory older than the batched lookups', () => {
  let inventory: TestUpstream;
  let gateway: RunningGateway;

  beforeAll(async () => {
    // Knows GET /api/movies/:id but not /internal/movies, as inventory did before the collapser.
    inventory = await startUpstream((request, response) => {
      if (request.url === '/health') return void response.end('{"status":"ok"}');
      response.setHeader('content-type', 'application/json; charset=utf-8');
      const id = /^\/api\/movies\/(\d+)$/.exec(request.url)?.[1];
      if (!id) {
        response.statusCode = 404;
        return void response.end(`{"error":"Route GET ${request.url.split('?')[0]} not found","details":[]}`);
      }
      response.end(JSON.stringify({ id: Number(id), title: `Movie ${id}`, description: '' }));
    });
    gateway = await startGateway(
      { INVENTORY_URL: inventory.url, BILLING_URL: inventory.url },
      { queue: testQueue.queue },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await inventory?.close();
  });

  it('forwards each GET /api/movies/:id on its own, with its request id, when inventory does not know the lookup', async () => {
    const answer = await call(gateway.url, 'GET', '/api/movies/7', undefined, { 'x-request-id': 'old-7' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id: 7, title: 'Movie 7', description: '' });
    expect(inventory.received.map(({ url }) => url)).toEqual(['/internal/movies?ids=7', '/api/movies/7']);
    expect(inventory.received[1]!.headers['x-request-id']).toBe('old-7');
  });
});

describe('upstream down or too slow', () => {
  let slow: TestUpstream;
  let gateway: RunningGateway;
  let downPort: number;

  beforeAll(async () => {
    // Answers /health at once but everything else only after far longer than the gateway waits.
    slow = await startUpstream((request, response) => {
      if (request.url === '/health') return void response.end('{"status":"ok"}');
      const timer = setTimeout(() => response.end('[]'), 10_000);
      response.on('close', () => clearTimeout(timer));
    });
    downPort = await getFreePort(); // nothing listens there
    gateway = await startGateway(
      {
        INVENTORY_URL: `http://127.0.0.1:${downPort}`,
        BILLING_URL: slow.url,
        UPSTREAM_TIMEOUT_MS: '300',
        RETRY_AFTER_SECONDS: '7',
      },
      { queue: testQueue.queue },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await slow?.close();
  });

  it('answers 503 with Retry-After naming the upstream when it refuses connections', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/movies'],
      ['GET', '/api/movies/1'],
      ['POST', '/api/movies', { title: 'Alien' }],
      ['DELETE', '/api/movies'],
    ] as const) {
      const answer = await call(gateway.url, method, path, body);
      expect({ path, method, status: answer.status }).toEqual({ path, method, status: 503 });
      expect(answer.headers.get('retry-after')).toBe('7');
      expect(answer.body).toEqual({ error: expect.stringMatching(/inventory.*unavailable/), details: [] });
    }
  });

  it('answers 504 naming the upstream when it does not answer in time', async () => {
    const answer = await call(gateway.url, 'GET', '/api/orders');
    expect(answer.status).toBe(504);
    expect(answer.body).toEqual({ error: expect.stringMatching(/billing did not answer within 300 ms/), details: [] });
  });

  it('is not ready, and says which dependency is missing', async () => {
    const ready = await call(gateway.url, 'GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toMatchObject({
      queue: 'ok',
      billing: 'ok',
      inventory: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('recovers once the upstream is back', async () => {
    // A real server, on the port the gateway was given for inventory.
    const server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end('[]');
    });
    await new Promise<void>((resolve) => server.listen(downPort, '127.0.0.1', resolve));
    try {
      const answer = await call(gateway.url, 'GET', '/api/movies');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
