/** The entry point as an operator runs it: what it needs is named at start; a real start serves and stops. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort, runToExit, startNodeProcess } from '@shipshape/testkit';
import { trainModel, writeModel } from '../src/train/train.js';

const script = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const modelDir = mkdtempSync(path.join(tmpdir(), 'shipshape-predict-main-'));
beforeAll(async () => writeModel(modelDir, await trainModel()));
afterAll(() => rmSync(modelDir, { recursive: true, force: true }));

describe('predict entry point', () => {
  it('exits 1 naming a bad variable', async () => {
    const { code, output } = await runToExit(script, { PORT: 'eighty', PREDICT_MODEL_DIR: modelDir });
    expect(code).toBe(1);
    expect(output).toMatch(/PORT/);
  });

  it('exits 1 naming the model folder and the command that trains it when there is no model', async () => {
    const missing = path.join(modelDir, 'nothing-here');
    const { code, output } = await runToExit(script, { PREDICT_MODEL_DIR: missing, METRICS_PORT: '0' });
    expect(code).toBe(1);
    expect(output).toContain(`${missing}/model.json does not exist`);
    expect(output).toContain('npm run train -w services/predict');
  });

  it('answers /health, /ready and a prediction, and stops on SIGTERM', async () => {
    const port = await getFreePort();
    const base = `http://127.0.0.1:${port}`;
    const predict = await startNodeProcess(
      script,
      { PORT: String(port), HOST: '127.0.0.1', PREDICT_MODEL_DIR: modelDir },
      `${base}/health`,
    );
    try {
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      const card = (await (await fetch(`${base}/predict/model`)).json()) as { version: string };
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          features: {
            bill_length_mm: 46.5,
            bill_depth_mm: 14.8,
            flipper_length_mm: 217,
            body_mass_g: 5200,
            island: 'Biscoe',
            sex: 'female',
          },
        }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ prediction: 'Gentoo', modelVersion: card.version.slice(0, 12) });
    } finally {
      expect(await predict.stop('SIGTERM')).toBe(0);
    }
  });

  it('reads a variable from <NAME>_FILE, and drains for SHUTDOWN_DELAY_MS on SIGTERM: not ready, still serving', async () => {
    const port = await getFreePort();
    const base = `http://127.0.0.1:${port}`;
    // As a Swarm secret arrives: a file, with a last newline.
    const secretFile = path.join(modelDir, 'model-dir.secret');
    writeFileSync(secretFile, `${modelDir}\n`);
    const predict = await startNodeProcess(
      script,
      { PORT: String(port), HOST: '127.0.0.1', PREDICT_MODEL_DIR_FILE: secretFile, SHUTDOWN_DELAY_MS: '1500' },
      `${base}/health`,
    );
    try {
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      const exited = predict.stop('SIGTERM');
      await expect.poll(async () => (await fetch(`${base}/ready`)).status).toBe(503);
      expect(await (await fetch(`${base}/ready`)).json()).toMatchObject({
        checks: { shutdown: expect.stringMatching(/draining/) },
      });
      // Requests are still answered while routing learns that this instance is going.
      const served = await fetch(`${base}/predict/model`);
      expect(served.status).toBe(200);
      // And each keep-alive client is told to reconnect, to an instance that stays.
      expect(served.headers.get('connection')).toBe('close');
      expect(await exited).toBe(0);
    } finally {
      await predict.stop('SIGKILL');
    }
  });
});
