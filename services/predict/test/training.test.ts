/**
 * Training: the dataset as read, the split, the scores, and the whole run (reproducible by its seed,
 * at or above the floor its card states), as a function and as the commands the build and the image run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { modelCardSchema } from '@shipshape/contracts';
import { sha256 } from '../src/model/files.js';
import { parsePenguins } from '../src/train/dataset.js';
import { accuracy, confusionMatrix, macroF1, majorityBaseline } from '../src/train/evaluate.js';
import { stratifiedSplit } from '../src/train/split.js';
import { ACCURACY_FLOOR, DATA_PATH, DEFAULT_SEED, trainModel, writeModel } from '../src/train/train.js';

const dist = fileURLToPath(new URL('../dist/train/', import.meta.url));
const temporary: string[] = [];
const tempDir = () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'shipshape-predict-'));
  temporary.push(directory);
  return directory;
};
afterAll(() => {
  for (const directory of temporary) rmSync(directory, { recursive: true, force: true });
});

const run = (script: string, args: string[]) => {
  const result = spawnSync(process.execPath, [path.join(dist, script), ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

describe('the penguins file', () => {
  const rows = JSON.parse(readFileSync(DATA_PATH, 'utf8')) as Array<Record<string, unknown>>;

  it('keeps every row with its four measurements and a recorded sex', () => {
    const dataset = parsePenguins(rows);
    expect(dataset.rows).toBe(344);
    expect(dataset.dropped).toEqual({ missingMeasurement: 2, unknownSex: 9 });
    expect(dataset.samples).toHaveLength(333);
    expect(new Set(dataset.samples.map((sample) => sample.label))).toEqual(new Set(['Adelie', 'Chinstrap', 'Gentoo']));
    expect(dataset.samples[0]).toEqual({
      features: {
        bill_length_mm: 39.1,
        bill_depth_mm: 18.7,
        flipper_length_mm: 181,
        body_mass_g: 3750,
        island: 'Torgersen',
        sex: 'male',
      },
      label: 'Adelie',
    });
  });

  it('refuses a file that is not rows of penguins', () => {
    expect(() => parsePenguins({ rows })).toThrow(/array of rows/);
    expect(() => parsePenguins([{ Island: 'Dream' }])).toThrow(/row 0 has no species/);
  });
});

describe('stratifiedSplit', () => {
  const labels = [...Array(40).fill('a'), ...Array(20).fill('b'), ...Array(4).fill('c')] as string[];

  it('holds out the same share of each class, disjoint from the rest, the same for the same seed', () => {
    const split = stratifiedSplit(labels, 0.25, 7);
    const held = (label: string) => split.test.filter((index) => labels[index] === label).length;
    expect([held('a'), held('b'), held('c')]).toEqual([10, 5, 1]);
    expect([...split.train, ...split.test].sort((a, b) => a - b)).toEqual(labels.map((_, index) => index));
    expect(split.train.filter((index) => split.test.includes(index))).toEqual([]);
    expect(stratifiedSplit(labels, 0.25, 7)).toEqual(split);
    expect(stratifiedSplit(labels, 0.25, 8).test).not.toEqual(split.test);
  });

  it('refuses a fraction outside (0, 1)', () => {
    expect(() => stratifiedSplit(labels, 1, 1)).toThrow(RangeError);
    expect(() => stratifiedSplit(labels, 0, 1)).toThrow(RangeError);
  });
});

describe('scores', () => {
  // Truth: 0 0 0 1 1 2; predicted: 0 0 1 1 1 0.
  const matrix = confusionMatrix([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 1, 0], 3);

  it('counts true classes in rows and predicted classes in columns', () => {
    expect(matrix).toEqual([
      [2, 1, 0],
      [0, 2, 0],
      [1, 0, 0],
    ]);
    expect(accuracy(matrix)).toBeCloseTo(4 / 6, 12);
  });

  it('averages the F1 of every class, 0 for a class never predicted right', () => {
    // F1: class 0 = 2·2/(3+3), class 1 = 2·2/(2+3), class 2 = 0.
    expect(macroF1(matrix)).toBeCloseTo((4 / 6 + 4 / 5 + 0) / 3, 12);
  });

  it('scores the majority class of the training rows on the test rows', () => {
    expect(majorityBaseline([1, 1, 0, 2], [1, 0, 0, 1, 2], 3)).toBeCloseTo(2 / 5, 12);
  });
});

describe('trainModel', () => {
  it('gives the same model file for the same seed, another for another seed', async () => {
    const [first, second, other] = await Promise.all([
      trainModel({ seed: DEFAULT_SEED }),
      trainModel({ seed: DEFAULT_SEED }),
      trainModel({ seed: DEFAULT_SEED + 1 }),
    ]);
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    await Promise.all([writeModel(a, first), writeModel(b, second), writeModel(c, other)]);
    const digest = async (directory: string) => sha256(await readFile(path.join(directory, 'model.json')));
    expect(await digest(a)).toBe(await digest(b));
    expect(await digest(a)).toBe(first.card.version);
    expect(await digest(c)).not.toBe(await digest(a));
    expect(other.card.training.seed).toBe(DEFAULT_SEED + 1);
  });

  it('scores at or above the floor its card states, well above the majority baseline', async () => {
    const { card, passed } = await trainModel();
    expect(card.metrics.accuracyFloor).toBe(ACCURACY_FLOOR);
    expect(ACCURACY_FLOOR).toBeGreaterThanOrEqual(0.95);
    expect(card.metrics.accuracy).toBeGreaterThanOrEqual(card.metrics.accuracyFloor);
    expect(passed).toBe(true);
    expect(card.metrics.baselineAccuracy).toBeLessThan(0.5);
    expect(card.metrics.macroF1).toBeGreaterThan(0.9);
  });

  it('writes a card with every field, on the held-out rows only', async () => {
    const { card, test } = await trainModel();
    expect(modelCardSchema.parse(card)).toEqual(card);
    expect(card.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(card.features.map((feature) => feature.name)).toEqual([
      'bill_length_mm',
      'bill_depth_mm',
      'flipper_length_mm',
      'body_mass_g',
      'island',
      'sex',
    ]);
    expect(card.features.find((feature) => feature.name === 'island')).toEqual({
      name: 'island',
      type: 'category',
      values: ['Biscoe', 'Dream', 'Torgersen'],
    });
    expect(card.features[3]).toMatchObject({ type: 'number', unit: 'g' });
    expect(card.dataset).toMatchObject({ name: 'Palmer penguins', samples: 333 });
    expect(card.dataset.license).toMatch(/CC0-1\.0/);
    expect(card.dataset.source).toMatch(/vega-datasets/);
    expect(card.training.trainSamples + card.training.testSamples).toBe(333);
    expect(card.training.testSamples).toBe(test.labels.length);
    expect(card.training.hyperparameters).toMatchObject({ nEstimators: 51, maxFeatures: 0.8, testFraction: 0.25 });
    expect(Date.parse(card.training.trainedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(card.training.durationMs).toBeGreaterThan(0);
    const matrix = card.metrics.confusionMatrix;
    expect(matrix).toHaveLength(3);
    expect(matrix.flat().reduce((sum, n) => sum + n, 0)).toBe(card.training.testSamples);
    // Rows are the true classes: each row sums to that class's count in the test split.
    expect(matrix.map((row) => row.reduce((sum, n) => sum + n, 0))).toEqual(
      card.classes.map((name) => test.labels.filter((label) => label === name).length),
    );
  });

  it('refuses to write a model under its floor', async () => {
    const trained = await trainModel({ seed: 1, accuracyFloor: 1 });
    expect(trained.card.metrics.accuracy).toBeLessThan(1);
    expect(trained.passed).toBe(false);
    const directory = tempDir();
    await expect(writeModel(directory, trained)).rejects.toThrow(/below the floor 1/);
    expect(existsSync(path.join(directory, 'model.json'))).toBe(false);
  });
});

describe('npm run train (dist/train/main.js)', () => {
  it('trains into --out, saying rows, trees and accuracy', () => {
    const out = tempDir();
    const { status, stdout } = run('main.js', ['--out', out]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/training on 249 of 344 rows \(84 held out, 11 dropped\), 51 trees, seed 42/);
    expect(stdout).toMatch(/held-out accuracy \d\.\d{4}/);
    const card = modelCardSchema.parse(JSON.parse(readFileSync(path.join(out, 'card.json'), 'utf8')));
    expect(card.version).toBe(sha256(readFileSync(path.join(out, 'model.json'))));
  });

  it('exits 1, writing nothing, under the floor; and on a bad argument', () => {
    const out = tempDir();
    const under = run('main.js', ['--out', out, '--seed', '1', '--accuracy-floor', '1']);
    expect(under.status).toBe(1);
    expect(under.stderr).toMatch(/held-out accuracy 0\.\d+ is below the floor 1; nothing written/);
    expect(existsSync(path.join(out, 'model.json'))).toBe(false);

    const bad = run('main.js', ['--seed', 'seven']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--seed must be a number, not "seven"/);
    expect(run('main.js', ['--sed', '3']).stderr).toMatch(/Unknown option '--sed'/);
  });
});

describe('the build step (dist/train/ifStale.js)', () => {
  it('trains a missing model, is silent and leaves a fresh one alone, retrains a stale or tampered one', () => {
    const directory = tempDir();
    const first = run('ifStale.js', [directory]);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/trained .* \(model\.json is missing\): held-out accuracy/);
    const modelFile = path.join(directory, 'model.json');
    const written = statSync(modelFile).mtimeMs;

    const fresh = run('ifStale.js', [directory]);
    expect(fresh).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(statSync(modelFile).mtimeMs).toBe(written);

    // Trained from other inputs (another seed, as `npm run train -- --seed 7` records).
    const inputs = path.join(directory, 'inputs.json');
    writeFileSync(inputs, JSON.stringify({ ...JSON.parse(readFileSync(inputs, 'utf8')), digest: 'other' }));
    expect(run('ifStale.js', [directory]).stderr).toMatch(/\(its inputs changed\)/);

    writeFileSync(modelFile, readFileSync(modelFile, 'utf8').replace('"format":1', '"format":1 '));
    expect(run('ifStale.js', [directory]).stderr).toMatch(/\(card\.json does not describe model\.json\)/);
    expect(run('ifStale.js', [directory]).stderr).toBe('');
  });
});
