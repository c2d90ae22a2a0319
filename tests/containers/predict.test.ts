/**
 * The prediction application in containers: through the gateway of the stack, the image's contents
 * (the model trained in its build, neither the trainer nor the data), and the image run alone as
 * `docker run --rm -p 8000:8000 shipshape/predict:<version>`.
 */
import { getFreePort } from '@shipshape/testkit';
import { describe, expect, inject, it } from 'vitest';
import { api, containerId, docker, eventually, inspect, type ContainerState } from './docker.js';

const stack = inject('stack');
const image = `shipshape/predict:${stack.version}`;

interface Card {
  name: string;
  version: string;
  classes: string[];
  features: Array<
    { name: string; type: 'number'; min: number; max: number } | { name: string; type: 'category'; values: string[] }
  >;
  training: { trainSamples: number; testSamples: number; seed: number };
  metrics: { accuracy: number; accuracyFloor: number; baselineAccuracy: number };
}

interface Prediction {
  prediction: string;
  probabilities: Record<string, number>;
  modelVersion: string;
  warnings: Array<{ feature: string; message: string }>;
}

/** A Gentoo as the dataset has them: long flippers, heavy, from Biscoe. */
const gentoo = {
  bill_length_mm: 46.5,
  bill_depth_mm: 14.8,
  flipper_length_mm: 217,
  body_mass_g: 5200,
  island: 'Biscoe',
  sex: 'female',
};

describe.skipIf(!stack.available)('prediction in containers', () => {
  it('serves the card and predicts through the gateway', async () => {
    const card = await api<Card>(stack, 'GET', '/api/predict/model');
    expect(card.status).toBe(200);
    expect(card.body.version).toMatch(/^[0-9a-f]{64}$/);
    expect(card.body.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(card.body.metrics.accuracy).toBeGreaterThanOrEqual(card.body.metrics.accuracyFloor);
    expect(card.body.training).toMatchObject({ trainSamples: 249, testSamples: 84, seed: 42 });

    const one = await api<Prediction>(stack, 'POST', '/api/predict', { features: gentoo });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      prediction: 'Gentoo',
      modelVersion: card.body.version.slice(0, 12),
      warnings: [],
    });
    const total = Object.values(one.body.probabilities).reduce((sum, share) => sum + share, 0);
    expect(total).toBeCloseTo(1, 9);

    const batch = await api<{ predictions: Prediction[] }>(stack, 'POST', '/api/predict', {
      instances: Array.from({ length: 1_000 }, () => gentoo),
    });
    expect(batch.status).toBe(200);
    expect(batch.body.predictions).toHaveLength(1_000);

    const bad = await api<{ details: Array<{ path: string }> }>(stack, 'POST', '/api/predict', {
      features: { ...gentoo, island: 'Atlantis', bill_depth_mm: '14.8' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((detail) => detail.path).sort()).toEqual([
      'body.features.bill_depth_mm',
      'body.features.island',
    ]);
  });

  it('runs healthy in the stack, with the model it was built with', async () => {
    const [state] = await inspect<ContainerState>([await containerId(stack, 'predict')]);
    expect(state!.State.Health?.Status).toBe('healthy');
  });

  it('holds the trained model and the service, but not the trainer, the data or the sources', async () => {
    const { stdout } = await docker([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      image,
      '-c',
      'cd /app/services/predict && find . -type f | sort && echo --- && ls /app/node_modules',
    ]);
    const [files, modules] = stdout.split('---\n') as [string, string];
    const listed = files.trim().split('\n');
    expect(listed).toEqual(
      expect.arrayContaining([
        './model/model.json',
        './model/card.json',
        './dist/main.js',
        './dist/model/predictor.js',
      ]),
    );
    // No training code, no dataset, no TypeScript.
    expect(listed.filter((file) => /^\.\/(dist\/train|data|src|test)\//.test(file))).toEqual([]);
    expect(listed.filter((file) => /penguins|\.ts$/.test(file))).toEqual([]);
    // Production dependencies only: the forest (for predicting), not the compiler or the test runner.
    const installed = modules.trim().split('\n');
    expect(installed).toContain('ml-random-forest');
    for (const development of ['typescript', 'vitest', 'autocannon', 'eslint'])
      expect(installed).not.toContain(development);

    // The card in the image describes the model file beside it.
    const digest = await docker([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      image,
      '-c',
      'sha256sum /app/services/predict/model/model.json && cat /app/services/predict/model/card.json',
    ]);
    const [line, ...card] = digest.stdout.split('\n');
    expect((JSON.parse(card.join('\n')) as Card).version).toBe(line!.split(' ')[0]);
  });

  it('runs alone from its image and answers /health and POST /predict', async () => {
    const port = await getFreePort();
    const { stdout } = await docker(['run', '--rm', '-d', '-p', `127.0.0.1:${port}:8000`, image]);
    const id = stdout.trim();
    try {
      const base = `http://127.0.0.1:${port}`;
      const health = await eventually(
        'the lone container to answer /health',
        async () => {
          const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) });
          return response.ok ? ((await response.json()) as { status: string; service: string }) : undefined;
        },
        60_000,
      );
      expect(health).toMatchObject({ status: 'ok', service: 'predict' });
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ features: { ...gentoo, body_mass_g: 9_000 } }),
      });
      expect(response.status).toBe(200);
      const prediction = (await response.json()) as Prediction;
      expect(prediction.warnings.map((warning) => warning.feature)).toEqual(['body_mass_g']);
      // It trained nothing at start: its log says it loaded the model.
      const logs = await docker(['logs', id]);
      expect(`${logs.stdout}${logs.stderr}`).toMatch(/"msg":"model loaded"/);
      expect(`${logs.stdout}${logs.stderr}`).not.toContain('predict train:');
    } finally {
      await docker(['rm', '--force', id], { allowFailure: true });
    }
  });
});
