/** The entry point as an operator runs it: a bad setting names itself; a real start serves and stops. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getFreePort, runToExit, startNodeProcess } from '@shipshape/testkit';

const script = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('system entry point', () => {
  it('exits 1 naming each bad variable', async () => {
    const { code, output } = await runToExit(script, { SYSTEM_HOGS_ENABLED: 'maybe', SYSTEM_HOG_MAX_WORKERS: '0' });
    expect(code).toBe(1);
    expect(output).toMatch(/SYSTEM_HOGS_ENABLED/);
    expect(output).toMatch(/SYSTEM_HOG_MAX_WORKERS/);
  });

  it('answers /health and /system, and exits 0 on SIGTERM', async () => {
    const port = await getFreePort();
    const service = await startNodeProcess(
      script,
      { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      `http://127.0.0.1:${port}/health`,
    );
    try {
      const info = (await (await fetch(`http://127.0.0.1:${port}/system`)).json()) as any;
      expect(info.process.pid).toBe(service.child.pid);
      expect(info.hogs.enabled).toBe(false);
      expect(service.output()).toMatch(/system listening/);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});
