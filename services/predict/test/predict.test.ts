/**
 * The predict service through `app.inject`, on a model trained here into a folder of the test's own:
 * its card, answers equal to the library's own prediction on every held-out row, and every bad input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RandomForestClassifier } from 'ml-random-forest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_PREDICT_BATCH,
  modelCardSchema,
  predictionBatchSchema,
  predictionSchema,
  type PredictInstance,
} from '@shipshape/contracts';
import { createLogger, parseConfig, type Service } from '@shipshape/platform';
import { createPredictService, predictConfigSchema } from '@shipshape/predict';
import { encode, type ModelFile } from '../src/model/model.js';
import { MAX_PROBLEMS_LISTED } from '../src/model/predictor.js';
import { trainModel, writeModel, type TrainedModel } from '../src/train/train.js';

const logger = createLogger('predict-test', 'silent');
const directory = mkdtempSync(path.join(tmpdir(), 'shipshape-predict-service-'));
let trained: TrainedModel;
let service: Service;

const start = (modelDir: string) =>
  createPredictService({ config: parseConfig(predictConfigSchema, { PREDICT_MODEL_DIR: modelDir }), logger });

beforeAll(async () => {
  trained = await trainModel();
  await writeModel(directory, trained);
  service = await start(directory);
});
afterAll(async () => {
  await service?.close();
  rmSync(directory, { recursive: true, force: true });
});

const post = (body: unknown) => service.app.inject({ method: 'POST', url: '/predict', payload: body as object });
const paths = (response: { json(): any }) => (response.json().details as Array<{ path: string }>).map((d) => d.path);

/** A valid instance: the first held-out penguin. */
const penguin = (): PredictInstance => ({ ...trained.test.instances[0]! });

describe('GET /predict/model', () => {
  it('answers the card written beside the model', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/predict/model' });
    expect(response.statusCode).toBe(200);
    const card = modelCardSchema.parse(response.json());
    expect(card).toEqual(JSON.parse(readFileSync(path.join(directory, 'card.json'), 'utf8')));
    expect(card.version).toBe(trained.card.version);
    expect(card.version).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('POST /predict', () => {
  it('answers what the library itself predicts for every held-out row, one by one and as a batch', async () => {
    // The library, straight from model.json, with its own predict (the mode of the trees' votes).
    const model = JSON.parse(readFileSync(path.join(directory, 'model.json'), 'utf8')) as ModelFile;
    const forest = RandomForestClassifier.load(model.forest);
    const { instances } = trained.test;
    const expected = forest
      .predict(instances.map((instance) => encode(model.features, instance)))
      .map((label) => model.classes[label]);

    const batch = await post({ instances });
    expect(batch.statusCode).toBe(200);
    const { predictions } = predictionBatchSchema.parse(batch.json());
    expect(predictions.map((p) => p.prediction)).toEqual(expected);

    const single = await Promise.all(instances.map((features) => post({ features })));
    expect(single.map((response) => predictionSchema.parse(response.json()))).toEqual(predictions);
    // And they are right as often as the card says.
    const correct = expected.filter((label, index) => label === trained.test.labels[index]).length;
    expect(correct / expected.length).toBe(trained.card.metrics.accuracy);
  });

  it('gives every class a vote share, summing to 1, the largest for the class predicted', async () => {
    const response = await post({ features: penguin() });
    const prediction = predictionSchema.parse(response.json());
    expect(Object.keys(prediction.probabilities)).toEqual(trained.card.classes);
    const shares = Object.values(prediction.probabilities);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 12);
    // Each is a whole number of the 51 trees.
    for (const share of shares) expect(share * 51).toBeCloseTo(Math.round(share * 51), 9);
    expect(prediction.probabilities[prediction.prediction]).toBe(Math.max(...shares));
    expect(prediction.modelVersion).toBe(trained.card.version.slice(0, 12));
    expect(prediction.warnings).toEqual([]);
  });

  it('answers a value outside the training range, with a warning naming the feature and the range', async () => {
    const card = trained.card;
    const mass = card.features.find((feature) => feature.name === 'body_mass_g')!;
    expect(mass.type).toBe('number');
    const { min, max } = mass as { min: number; max: number };
    const response = await post({ instances: [penguin(), { ...penguin(), body_mass_g: max + 1000 }] });
    expect(response.statusCode).toBe(200);
    const [inRange, outside] = predictionBatchSchema.parse(response.json()).predictions;
    expect(inRange!.warnings).toEqual([]);
    expect(outside!.warnings).toEqual([
      {
        feature: 'body_mass_g',
        message: `${max + 1000} g is outside the training range ${min} to ${max} g: the model has not seen such a value`,
      },
    ]);
  });

  it('names a missing, an unknown and each mistyped feature in one 400', async () => {
    const { bill_length_mm: _missing, ...rest } = penguin();
    const response = await post({
      features: { ...rest, bill_depth_mm: '17.5', body_mass_g: null, island: 'Atlantis', wingspan: 3 },
    });
    expect(response.statusCode).toBe(400);
    expect(paths(response).sort()).toEqual(
      [
        'body.features.bill_length_mm',
        'body.features.bill_depth_mm',
        'body.features.body_mass_g',
        'body.features.island',
        'body.features.wingspan',
      ].sort(),
    );
    const text = JSON.stringify(response.json());
    expect(text).toMatch(/bill_length_mm: is required: a finite number in mm/);
    expect(text).toMatch(/bill_depth_mm: must be a finite number in mm \([^)]+\), not the string \\"17.5\\"/);
    expect(text).toMatch(/body_mass_g: must be a finite number in g \([^)]+\), not null/);
    expect(text).toMatch(/island: must be one of Biscoe, Dream, Torgersen, not \\"Atlantis\\"/);
    expect(text).toMatch(/wingspan: is not a feature of the model/);
  });

  it.each([
    ['the string "NaN"', 'NaN'],
    ['the string "Infinity"', 'Infinity'],
    ['an empty string', ''],
    ['a boolean', true],
    ['an array', [40]],
    ['an object', { value: 40 }],
  ])('refuses %s for a number feature', async (_name, value) => {
    const response = await post({ features: { ...penguin(), flipper_length_mm: value } });
    expect(response.statusCode).toBe(400);
    expect(paths(response)).toEqual(['body.features.flipper_length_mm']);
  });

  it.each([
    ['another case', 'MALE'],
    ['a number', 1],
    ['null', null],
  ])('refuses %s for a category', async (_name, value) => {
    const response = await post({ features: { ...penguin(), sex: value } });
    expect(response.statusCode).toBe(400);
    expect(paths(response)).toEqual(['body.features.sex']);
  });

  it('names the instance of a batch each problem is in', async () => {
    const instances = [penguin(), penguin(), penguin(), { ...penguin(), sex: 'unknown' }, penguin()];
    delete instances[1]!.island;
    const response = await post({ instances });
    expect(response.statusCode).toBe(400);
    expect(paths(response)).toEqual(['body.instances.1.island', 'body.instances.3.sex']);
  });

  it(`answers a full batch of ${MAX_PREDICT_BATCH} in order, and refuses one more`, async () => {
    const instances = Array.from({ length: MAX_PREDICT_BATCH }, (_, i) => trained.test.instances[i % 84]!);
    expect(JSON.stringify({ instances }).length).toBeGreaterThan(64 * 1024);
    const full = await post({ instances });
    expect(full.statusCode).toBe(200);
    const { predictions } = predictionBatchSchema.parse(full.json());
    expect(predictions).toHaveLength(MAX_PREDICT_BATCH);
    expect(predictions[84]).toEqual(predictions[0]);

    const over = await post({ instances: [...instances, penguin()] });
    expect(over.statusCode).toBe(400);
    expect(paths(over)).toEqual(['body.instances']);
  });

  it('lists at most a bounded number of problems however bad the batch', async () => {
    const instances = Array.from({ length: 300 }, () => ({ ...penguin(), sex: 'x' }));
    const response = await post({ instances });
    expect(response.statusCode).toBe(400);
    const listed = paths(response);
    expect(listed).toHaveLength(MAX_PROBLEMS_LISTED + 1);
    expect(listed[MAX_PROBLEMS_LISTED - 1]).toBe(`body.instances.${MAX_PROBLEMS_LISTED - 1}.sex`);
    expect(response.json().details.at(-1).message).toBe(`and ${300 - MAX_PROBLEMS_LISTED} more problems like these`);
  });

  it.each([
    ['an empty batch', { instances: [] }, 'body.instances'],
    ['both features and instances', { features: {}, instances: [{}] }, 'body'],
    ['neither', {}, 'body'],
    ['an unknown field', { features: {}, explain: true }, 'body.explain'],
    ['instances that are not objects', { instances: [3] }, 'body.instances.0'],
    ['features that are not an object', { features: 'all' }, 'body.features'],
  ])('refuses %s', async (_name, body, where) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    expect(paths(response)).toContain(where);
  });

  it('counts predictions and batch sizes, and names the model version in its metrics', async () => {
    await post({ instances: [penguin(), penguin()] });
    const text = await service.app.metrics.registry.metrics();
    expect(text).toContain(`predict_model_info{version="${trained.card.version.slice(0, 12)}",name="penguin-species"`);
    expect(text).toMatch(/predict_predictions_total\{class="(Adelie|Chinstrap|Gentoo)",service="predict"\} \d+/);
    expect(text).toMatch(/predict_batch_size_bucket\{le="2",service="predict"\} [1-9]/);
  });
});

describe('start', () => {
  it('refuses to start without a model, saying how to train one', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'shipshape-predict-empty-'));
    try {
      await expect(start(empty)).rejects.toThrow(
        new RegExp(`${empty}/model\\.json does not exist .*run \`npm run train -w services/predict\``),
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a card that does not describe the model beside it', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'shipshape-predict-other-'));
    try {
      await writeModel(other, trained);
      const card = JSON.parse(readFileSync(path.join(other, 'card.json'), 'utf8'));
      writeFileSync(path.join(other, 'card.json'), JSON.stringify({ ...card, version: '0'.repeat(64) }));
      await expect(start(other)).rejects.toThrow(/describes model 000000000000, but .* is [0-9a-f]{12}/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
