/**
 * The web image in the compose stack: nginx serving the dashboard on the published web port, with
 * the cache rules, compression and security headers it promises, /api forwarded to the gateway with
 * the request's id and the event streams unbuffered, and a gateway that comes and goes followed.
 */
import { describe, expect, inject, it } from 'vitest';
import { compose, containerId, docker, eventually, waitForHealthy } from './docker.js';

const stack = inject('stack');

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.webUrl}${path}`, { headers, signal: AbortSignal.timeout(15_000) });

describe.skipIf(!stack.available)('the web image on its published port', () => {
  it('serves index.html never cached, hashed assets cached for a year and gzipped, with the CSP', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';/);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    const html = await index.text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();

    const asset = await get(script!, { 'accept-encoding': 'gzip' });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(asset.headers.get('content-security-policy')).not.toBeNull();

    // A page of the app is the app; a missing file is not.
    const deepLink = await get('/movies');
    expect(deepLink.status).toBe(200);
    expect(await deepLink.text()).toBe(html);
    expect((await get('/assets/no-such-file.js')).status).toBe(404);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('forwards /api to the gateway with a request id that both logs carry', async () => {
    const response = await get('/api/status');
    expect(response.status).toBe(200);
    const status = (await response.json()) as { services: { name: string; state: string }[] };
    expect(status.services.map((service) => service.name)).toEqual(
      expect.arrayContaining(['inventory', 'billing', 'vote', 'result', 'worker', 'system', 'predict']),
    );
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const service of ['web', 'gateway']) {
      await eventually(`the request id in the log of ${service}`, async () => {
        const logs = await compose(stack, ['logs', '--no-color', '--tail', '500', service]);
        return logs.stdout.includes(id!) ? true : undefined;
      });
    }
  });

  it('passes an event stream through as it comes, not compressed', async () => {
    const controller = new AbortController();
    const response = await fetch(`${stack.webUrl}/api/system/stream`, {
      headers: { accept: 'text/event-stream', 'accept-encoding': 'gzip' },
      signal: controller.signal,
    });
    try {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('content-encoding')).toBeNull();
      // A sample a second: three of them arrive while the stream stays open, so nothing holds them back.
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const timer = setTimeout(() => controller.abort(), 30_000);
      while ((text.match(/^data: /gm) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended after ${JSON.stringify(text)}`);
        text += decoder.decode(value, { stream: true });
      }
      clearTimeout(timer);
    } finally {
      controller.abort();
    }
  });

  it('answers 502 with a JSON error while the gateway is gone, and finds it again when it is back', async () => {
    const gateway = await containerId(stack, 'gateway');
    const before = (await docker(['inspect', '--format', '{{.State.StartedAt}}', gateway])).stdout.trim();
    await docker(['stop', '--time', '10', gateway]);
    try {
      const down = await get('/api/status');
      expect(down.status).toBe(502);
      expect(await down.json()).toEqual({ error: expect.stringContaining('gateway'), details: [] });
      expect(down.headers.get('retry-after')).toBe('5');
      // The page itself is still there.
      expect((await get('/')).status).toBe(200);
    } finally {
      await docker(['start', gateway]);
      await waitForHealthy(stack, ['gateway', 'web']);
    }
    const after = (await docker(['inspect', '--format', '{{.State.StartedAt}}', gateway])).stdout.trim();
    expect(after).not.toBe(before);
    // nginx looks the gateway up again (resolver, 5 s at most): no restart of web needed.
    await eventually('the API through web again', async () =>
      (await get('/api/status')).status === 200 ? true : undefined,
    );
  });
});
