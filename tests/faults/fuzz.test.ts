/**
 * The fuzz run, kept: 3,000 malformed requests (seeded, so a failure can be replayed) through the
 * gateway of an embedded-mode stack, on raw sockets so that nothing is tidied up on the way. Every
 * one must be answered within a bound, none with a 5xx, every error in the documented
 * `{ error, details }` body, and the stack must store nothing of them and stay ready.
 */
import net from 'node:net';
import { createMovieSchema } from '@shipshape/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startEmbeddedStack, type EmbeddedStack } from '../system/stack.js';

const REQUESTS = 3_000;
const CONCURRENCY = 16;
const ANSWER_WITHIN_MS = 8_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);

/** mulberry32: a small seeded generator, so a failing request can be made again from the seed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
  return { next, pick, bytes };
}

const strange = [
  '',
  ' ',
  '%00',
  '%ff',
  '%E0%A4%A',
  '..',
  '%2e%2e',
  '\u200b',
  'é',
  '0',
  '-1',
  '1.5',
  '0x10',
  '1e3',
  '99999999999',
  '1'.repeat(120),
  'null',
  '[]',
  '{}',
  "'; DROP TABLE movies; --",
  '<script>',
  '%',
  '_',
  '\\\\',
];
const paths = ['/api/movies', '/api/movies/', '/api/movies/1', '/api/billing', '/api/orders', '/api/nope', '/docs/x'];
const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'BREW'];
const contentTypes = [
  'application/json',
  'application/json; charset=utf-16le',
  'application/json; charset=iso-8859-1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
];
const bodies = (random: ReturnType<typeof generator>): Array<() => Buffer> => [
  () => Buffer.from(JSON.stringify({ title: random.pick(strange), description: random.pick(strange) })),
  () => Buffer.from(JSON.stringify({ title: random.next() })),
  () => Buffer.from(JSON.stringify({ user_id: random.pick(strange), number_of_items: 1, total_amount: '0.001' })),
  () => Buffer.from(JSON.stringify({ user_id: 1, number_of_items: random.pick([0, -1, 1e12, '5x']), total_amount: 1 })),
  () => Buffer.from(JSON.stringify({ title: 'x', extra: true })),
  () => Buffer.from('{"title":'),
  () => Buffer.from('['.repeat(5_000)),
  () => Buffer.from('{"__proto__":{"polluted":1},"title":"x"}'),
  () => Buffer.from('{"constructor":{"prototype":{"polluted":1}}}'),
  () => random.bytes(1 + Math.floor(random.next() * 200)),
  () => Buffer.from('"just a string"'),
  () => Buffer.alloc(70_000, 'a'),
];

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** Sends `raw` on a fresh connection and reads the answer until the connection closes. */
function send(port: number, raw: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset after the answer is fine; an answer missing is checked below
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4), ms: Date.now() - started });
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms to:\n${raw.toString('latin1').slice(0, 300)}`));
    }, ANSWER_WITHIN_MS).unref();
  });
}

function malformedRequest(random: ReturnType<typeof generator>): Buffer {
  const method = random.pick(methods);
  let path = random.pick(paths);
  if (random.next() < 0.4) path += `/${random.pick(strange)}`;
  if (random.next() < 0.5) {
    const pairs = Array.from({ length: 1 + Math.floor(random.next() * 3) }, () =>
      `${random.pick(['limit', 'offset', 'title', 'x', 'limit', ''])}=${random.pick(strange)}`.replace(/ /g, '%20'),
    );
    path += `?${pairs.join('&')}`;
  }
  const headers = [`Host: fuzz`, 'Connection: close'];
  const type = random.pick(contentTypes);
  if (type) headers.push(`Content-Type: ${type}`);
  if (random.next() < 0.1) headers.push(`Content-Encoding: ${random.pick(['gzip', 'br', 'identity'])}`);
  if (random.next() < 0.05) headers.push(`X-Request-Id: ${random.pick(strange)}`);
  const withBody = method !== 'GET' && method !== 'HEAD' ? random.next() < 0.9 : random.next() < 0.1;
  const body = withBody ? random.pick(bodies(random))() : Buffer.alloc(0);
  // Sometimes the declared length lies (shorter: the rest is a second, garbled request).
  const declared = random.next() < 0.05 ? Math.max(0, body.length - 3) : body.length;
  if (withBody) headers.push(`Content-Length: ${declared}`);
  return Buffer.concat([Buffer.from(`${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

describe('fuzz: malformed requests through the gateway (embedded mode)', () => {
  let stack: EmbeddedStack;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it(`answers ${REQUESTS} malformed requests without a 5xx or a hang, in the standard error body`, async () => {
    const port = Number(new URL(stack.gatewayUrl).port);
    const random = generator(SEED);
    const requests = Array.from({ length: REQUESTS }, () => malformedRequest(random));
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let created = 0;
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const index = next++;
        const raw = requests[index]!;
        const answer = await send(port, raw);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const shown = `#${index} (seed ${SEED}) ${raw.toString('latin1').split('\r\n')[0]} -> ${answer.status}`;
        if (answer.status === 0 || answer.status >= 500) problems.push(`${shown}: ${answer.body.slice(0, 200)}`);
        if (answer.status === 201) created += 1;
        if (answer.status >= 400 && raw.subarray(0, 5).toString() !== 'HEAD ') {
          let body: unknown;
          try {
            body = JSON.parse(answer.body);
          } catch {
            body = undefined;
          }
          const shaped =
            typeof body === 'object' &&
            body !== null &&
            typeof (body as { error?: unknown }).error === 'string' &&
            Array.isArray((body as { details?: unknown }).details);
          if (!shaped) problems.push(`${shown}: not the standard error body: ${answer.body.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(problems.slice(0, 20), `${problems.length} problems; statuses ${JSON.stringify([...statuses])}`).toEqual([]);
    // Still ready, and every movie stored (some requests were valid enough) is one the contract accepts.
    expect((await request(stack.gatewayUrl, 'GET', '/ready')).status).toBe(200);
    const stored = await request<Array<{ title: string; description: string }>>(
      stack.gatewayUrl,
      'GET',
      '/api/movies?limit=1000',
    );
    expect(stored.status).toBe(200);
    for (const { title, description } of stored.body) {
      expect(createMovieSchema.safeParse({ title, description }).success, JSON.stringify(title)).toBe(true);
    }
    expect(created).toBeGreaterThanOrEqual(0);
  }, 180_000);
});
