/**
 * The dashboard's front in the local modes (apps/launcher/src/webFront.ts), against a built-files
 * folder of the test's own and a stand-in gateway: pages, cache rules, headers, and `/api` passed on
 * as it comes, event streams included.
 */
import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@shipshape/platform';
import { createWebFront, missingBuild, type WebFront } from '../../apps/launcher/dist/webFront.js';

const INDEX = '<!doctype html><title>Shipshape</title><script type="module" src="/assets/app-abc123.js"></script>';

describe('the dashboard front of the local modes', () => {
  let distDir: string;
  let gateway: http.Server;
  let gatewayUrl: string;
  let front: WebFront;
  let base: string;
  const streams = new Set<http.ServerResponse>();

  beforeAll(async () => {
    distDir = await mkdtemp(path.join(tmpdir(), 'shipshape-web-'));
    await mkdir(path.join(distDir, 'assets'));
    await writeFile(path.join(distDir, 'index.html'), INDEX);
    await writeFile(path.join(distDir, 'assets/app-abc123.js'), 'console.log("app")');
    await writeFile(path.join(distDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');

    gateway = http.createServer((request, response) => {
      if (request.url === '/api/results/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'x-accel-buffering': 'no' });
        response.write('event: results\ndata: {"n":1}\n\n');
        streams.add(response);
        response.on('close', () => streams.delete(response));
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        response.writeHead(request.url === '/api/missing' ? 404 : 200, {
          'content-type': 'application/json',
          'x-total-count': '7',
        });
        response.end(
          JSON.stringify({ method: request.method, url: request.url, body: Buffer.concat(chunks).toString() }),
        );
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    front = await createWebFront({ distDir, gatewayUrl, logger: createLogger('web', 'silent') });
    base = await front.start(0, '127.0.0.1');
  });
  afterAll(async () => {
    for (const stream of streams) stream.end();
    await front?.close();
    gateway?.closeAllConnections();
    await new Promise((resolve) => gateway?.close(resolve));
    await rm(distDir, { recursive: true, force: true });
  });

  it('serves index.html for the root and for every page path, never cached, with its policy', async () => {
    for (const page of ['/', '/movies', '/system?x=1', '/vote/']) {
      const response = await fetch(base + page);
      expect(response.status, page).toBe(200);
      expect(await response.text(), page).toBe(INDEX);
      expect(response.headers.get('cache-control'), page).toBe('no-cache');
      expect(response.headers.get('content-security-policy'), page).toMatch(/default-src 'self'/);
      expect(response.headers.get('content-security-policy'), page).toMatch(/frame-ancestors 'none'/);
      expect(response.headers.get('x-content-type-options'), page).toBe('nosniff');
    }
  });

  it('caches hashed assets for a year and answers 404 for a file that is not there', async () => {
    const asset = await fetch(`${base}/assets/app-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const icon = await fetch(`${base}/favicon.svg`);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    expect((await fetch(`${base}/assets/gone-000.js`)).status).toBe(404);
  });

  it('passes /api requests on with their bodies, and answers with the gateway’s status and headers', async () => {
    const body = '{ "title":  "Alien" }';
    const answer = await fetch(`${base}/api/movies?limit=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-total-count')).toBe('7');
    expect(await answer.json()).toEqual({ method: 'POST', url: '/api/movies?limit=1', body });
    expect((await fetch(`${base}/api/missing`)).status).toBe(404);
  });

  it('passes an event stream through as it comes', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/api/results/stream`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    // The stand-in has not ended its response: the first event arrives while the stream is open.
    expect(decoder.decode((await reader.read()).value)).toBe('event: results\ndata: {"n":1}\n\n');
    for (const stream of streams) stream.write('event: results\ndata: {"n":2}\n\n');
    expect(decoder.decode((await reader.read()).value)).toBe('event: results\ndata: {"n":2}\n\n');
    controller.abort();
  });

  it('says what to run when the dashboard is not built', () => {
    expect(missingBuild(distDir)).toBeUndefined();
    expect(missingBuild(path.join(distDir, 'nothing'))).toMatch(/npm run build/);
  });
});
