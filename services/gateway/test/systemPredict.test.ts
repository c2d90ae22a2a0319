/**
 * The gateway's part of the system and prediction APIs, against stand-in upstreams: the paths it
 * forwards to, the bodies it refuses before an upstream sees them, the bodies it passes on byte for
 * byte, the system stream passed through as it comes, and the 503/504 of an upstream down or hanging.
 */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PREDICT_BATCH } from '@shipshape/contracts';
import type { MessageQueue } from '@shipshape/queue';
import { waitFor } from '@shipshape/testkit';
import { call, startGateway, startUpstream, type RunningGateway, type TestUpstream } from './helpers.js';

const instance = {
  bill_length_mm: 39.1,
  bill_depth_mm: 18.7,
  flipper_length_mm: 181,
  body_mass_g: 3750,
  island: 'Torgersen',
  sex: 'MALE',
};

describe('system and predict through the gateway, with stand-in upstreams', () => {
  let system: TestUpstream;
  let predict: TestUpstream;
  let gateway: RunningGateway & { queue: MessageQueue };
  const streams = new Set<http.ServerResponse>();
  let closedStreams = 0;

  beforeAll(async () => {
    system = await startUpstream((request, response) => {
      if (request.url === '/system/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        response.write('event: sample\ndata: {"n":1}\n\n');
        streams.add(response);
        response.on('close', () => {
          streams.delete(response);
          closedStreams += 1;
        });
        return;
      }
      response.setHeader('content-type', 'application/json; charset=utf-8');
      if (request.url === '/system/hogs/memory') {
        response.statusCode = 403;
        return void response.end('{"error":"Hogs are off: set SYSTEM_HOGS_ENABLED=true","details":[]}');
      }
      response.end(JSON.stringify({ method: request.method, url: request.url, body: request.body.toString() }));
    });
    predict = await startUpstream((request, response) => {
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.end(JSON.stringify({ method: request.method, url: request.url, bytes: request.body.length }));
    });
    gateway = await startGateway({ SYSTEM_URL: system.url, PREDICT_URL: predict.url });
  });
  afterAll(async () => {
    await gateway?.close();
    await system?.close();
    await predict?.close();
  });

  it('forwards each system route to the same path without /api', async () => {
    for (const [method, path] of [
      ['GET', '/api/system'],
      ['GET', '/api/system/hogs'],
      ['DELETE', '/api/system/hogs'],
    ] as const) {
      const answer = await call(gateway.url, method, path);
      expect(answer.status, `${method} ${path}`).toBe(200);
      expect(answer.body).toMatchObject({ method, url: path.slice('/api'.length) });
    }
  });

  it('passes a valid hog body on as it came, and an upstream refusal back as it is', async () => {
    const body = '{ "workers": 2,  "seconds": 30 }';
    const cpu = await call(gateway.url, 'POST', '/api/system/hogs/cpu', body);
    expect(cpu.status).toBe(200);
    expect(cpu.body).toEqual({ method: 'POST', url: '/system/hogs/cpu', body });

    const memory = await call(gateway.url, 'POST', '/api/system/hogs/memory', { megabytes: 64, seconds: 5 });
    expect(memory.status).toBe(403);
    expect(memory.body.error).toMatch(/SYSTEM_HOGS_ENABLED/);
  });

  it('refuses a hog body that does not fit, naming the field, before the service sees it', async () => {
    const seen = system.received.length;
    const cases: Array<[string, unknown, string]> = [
      ['/api/system/hogs/cpu', { workers: 'two', seconds: 30 }, 'body.workers'],
      ['/api/system/hogs/cpu', { workers: 1.5, seconds: 30 }, 'body.workers'],
      ['/api/system/hogs/cpu', { workers: 2 }, 'body.seconds'],
      ['/api/system/hogs/cpu', { workers: 2, seconds: 30, extra: 1 }, 'body.extra'],
      ['/api/system/hogs/memory', { megabytes: 0, seconds: 30 }, 'body.megabytes'],
      ['/api/system/hogs/memory', { megabytes: 64, seconds: -1 }, 'body.seconds'],
    ];
    for (const [path, body, field] of cases) {
      const answer = await call(gateway.url, 'POST', path, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.details.map((d: { path: string }) => d.path)).toContain(field);
    }
    expect(system.received.length).toBe(seen);
  });

  it('passes the system stream through as it comes, and the upstream sees the client leave at once', async () => {
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/api/system/stream`, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe('event: sample\ndata: {"n":1}\n\n');
    for (const upstream of streams) upstream.write('event: sample\ndata: {"n":2}\n\n');
    expect(decoder.decode((await reader.read()).value)).toBe('event: sample\ndata: {"n":2}\n\n');
    const closedBefore = closedStreams;
    controller.abort();
    await waitFor('the upstream stream to close', async () => closedStreams === closedBefore + 1, 2_000, 10);
  });

  it('forwards the model card and a prediction, a full batch included (over the default body limit)', async () => {
    const card = await call(gateway.url, 'GET', '/api/predict/model');
    expect(card.body).toEqual({ method: 'GET', url: '/predict/model', bytes: 0 });

    const one = await call(gateway.url, 'POST', '/api/predict', { features: instance });
    expect(one.body).toMatchObject({ method: 'POST', url: '/predict' });

    const batch = JSON.stringify({ instances: Array.from({ length: MAX_PREDICT_BATCH }, () => instance) });
    expect(batch.length).toBeGreaterThan(64 * 1024);
    const answer = await call(gateway.url, 'POST', '/api/predict', batch);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ method: 'POST', url: '/predict', bytes: batch.length });
  });

  it('refuses a prediction body of the wrong shape before the service sees it', async () => {
    const seen = predict.received.length;
    const cases: Array<[unknown, string]> = [
      [{}, 'body'],
      [{ features: instance, instances: [instance] }, 'body'],
      [{ instances: [] }, 'body.instances'],
      [{ instances: Array.from({ length: MAX_PREDICT_BATCH + 1 }, () => instance) }, 'body.instances'],
      [{ features: [1, 2] }, 'body.features'],
      [{ features: instance, model: 'other' }, 'body.model'],
    ];
    for (const [body, field] of cases) {
      const answer = await call(gateway.url, 'POST', '/api/predict', body);
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(answer.body.details.map((d: { path: string }) => d.path)).toContain(field);
    }
    expect(predict.received.length).toBe(seen);
  });
});

describe('system and predict upstreams down or hanging', () => {
  let hanging: TestUpstream;
  let gateway: RunningGateway & { queue: MessageQueue };

  beforeAll(async () => {
    // Accepts the request and never answers.
    hanging = await startUpstream(() => {});
    // Nothing listens on port 9 (discard) here: connecting is refused at once.
    gateway = await startGateway({
      SYSTEM_URL: 'http://127.0.0.1:9',
      PREDICT_URL: hanging.url,
      UPSTREAM_TIMEOUT_MS: '300',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await hanging?.close();
  });

  it('answers 503 with Retry-After when system cannot be reached, the stream included', async () => {
    for (const path of ['/api/system', '/api/system/stream']) {
      const answer = await call(gateway.url, 'GET', path);
      expect(answer.status, path).toBe(503);
      expect(answer.headers.get('retry-after'), path).toBe('5');
      expect(answer.body.error, path).toMatch(/system/);
    }
    const ready = await call(gateway.url, 'GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.system).not.toBe('ok');
  });

  it('answers 504 naming predict when it does not answer in time', async () => {
    const answer = await call(gateway.url, 'POST', '/api/predict', { features: instance });
    expect(answer.status).toBe(504);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(answer.body.error).toMatch(/predict/);
  });
});
