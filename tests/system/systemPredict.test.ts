/**
 * The system and prediction applications through the gateway, as the dashboard uses them: in the
 * embedded mode (both in the one process) and with a process per service. What a container's limits do
 * under hogs is for the container tests (tests/containers/system.test.ts): here no limits are set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  modelCardSchema,
  predictionBatchSchema,
  predictionSchema,
  SYSTEM_SAMPLE_EVENT,
  systemInfoSchema,
  systemSampleSchema,
  type ModelCard,
  type PredictInstance,
} from '@shipshape/contracts';
import { request, stackModes, type Stack } from './stack.js';

const modes = await stackModes();

/** An instance every feature of the card accepts: the middle of each range, the first of each category. */
function typicalInstance(card: ModelCard): PredictInstance {
  return Object.fromEntries(
    card.features.map((feature) => [
      feature.name,
      feature.type === 'number' ? (feature.min + feature.max) / 2 : feature.values[0],
    ]),
  );
}

/** The first `event: sample` of the stream, parsed. */
async function firstSample(base: string): Promise<unknown> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/system/stream`, { signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before a sample: ${text}`);
      text += value;
      const event = text.split('\n\n').find((block) => block.includes(`event: ${SYSTEM_SAMPLE_EVENT}`));
      if (event) {
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice('data:'.length).trim())
          .join('\n');
        return JSON.parse(data);
      }
    }
  } finally {
    controller.abort();
  }
}

describe.each(modes)('system and prediction through the gateway (%s)', (_mode, start, enabled) => {
  let stack: Stack;
  let base: string;

  beforeAll(async () => {
    if (!enabled) return;
    stack = await start();
    base = stack.gatewayUrl;
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it.skipIf(!enabled)('reports the OS, the process and its limits, in the shape of the contract', async () => {
    const answer = await request(base, 'GET', '/api/system');
    expect(answer.status).toBe(200);
    const info = systemInfoSchema.parse(answer.body);
    expect(info.cpu.count).toBeGreaterThan(0);
    expect(info.memory.totalBytes).toBeGreaterThan(info.memory.freeBytes);
    expect(info.process.rssBytes).toBeGreaterThan(info.process.heapUsedBytes);
    // "No limit" is null, never the kernel's 19-digit sentinel.
    for (const figure of [info.container.memory.limitBytes, info.container.memory.reservationBytes]) {
      if (figure !== null) expect(figure).toBeLessThan(2 ** 53);
    }
    // The local modes leave the hogs off unless SYSTEM_HOGS_ENABLED=true.
    expect(info.hogs.enabled).toBe(false);
    expect(info.hogs.reason).toMatch(/SYSTEM_HOGS_ENABLED/);
  });

  it.skipIf(!enabled)('refuses a hog while they are off, naming the variable that turns them on', async () => {
    const answer = await request(base, 'POST', '/api/system/hogs/cpu', { workers: 1, seconds: 1 });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatch(/SYSTEM_HOGS_ENABLED/);
    expect((await request(base, 'GET', '/api/system/hogs')).body).toEqual([]);
  });

  it.skipIf(!enabled)('streams samples of the same shape', async () => {
    const sample = systemSampleSchema.parse(await firstSample(base));
    expect(sample.hogs).toEqual([]);
  });

  it.skipIf(!enabled)('serves the model card and predicts a class with its probabilities', async () => {
    const answer = await request(base, 'GET', '/api/predict/model');
    expect(answer.status).toBe(200);
    const card = modelCardSchema.parse(answer.body);
    expect(card.metrics.accuracy).toBeGreaterThanOrEqual(card.metrics.accuracyFloor);

    const instance = typicalInstance(card);
    const one = await request(base, 'POST', '/api/predict', { features: instance });
    expect(one.status).toBe(200);
    const prediction = predictionSchema.parse(one.body);
    expect(card.classes).toContain(prediction.prediction);
    expect(Object.keys(prediction.probabilities).sort()).toEqual([...card.classes].sort());
    const total = Object.values(prediction.probabilities).reduce((sum, p) => sum + p, 0);
    expect(total).toBeCloseTo(1, 6);
    expect(card.version.startsWith(prediction.modelVersion)).toBe(true);

    const batch = await request(base, 'POST', '/api/predict', { instances: [instance, instance, instance] });
    expect(batch.status).toBe(200);
    expect(predictionBatchSchema.parse(batch.body).predictions).toEqual([one.body, one.body, one.body]);
  });

  it.skipIf(!enabled)('names a missing and an unknown feature in one 400', async () => {
    const card = modelCardSchema.parse((await request(base, 'GET', '/api/predict/model')).body);
    const [dropped] = card.features;
    const { [dropped!.name]: _dropped, ...rest } = typicalInstance(card);
    const answer = await request(base, 'POST', '/api/predict', { features: { ...rest, wingspan: 3 } });
    expect(answer.status).toBe(400);
    const paths = (answer.body.details as Array<{ path: string }>).map((detail) => detail.path);
    expect(paths).toEqual(expect.arrayContaining([`body.features.${dropped!.name}`, 'body.features.wingspan']));
  });
});
