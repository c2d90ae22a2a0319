/**
 * Trains the penguin species model: a stratified held-out split by a fixed seed, a random forest on the
 * rest, scores on the held-out rows only, and the two files of model/. Pure but for the clock (the
 * card's trainedAt and durationMs, which stay out of model.json so that the same seed writes the same
 * bytes) and `writeModel`.
 */
import { randomUUID } from 'node:crypto';
import { readFile, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelCard, ModelFeature, PredictInstance } from '@shipshape/contracts';
import { RandomForestClassifier } from 'ml-random-forest';
import { CARD_FILE, MODEL_FILE, sha256 } from '../model/files.js';
import { encode, loadForest, type ModelFile } from '../model/model.js';
import { CATEGORY_COLUMNS, DATASET, NUMBER_COLUMNS, parsePenguins } from './dataset.js';
import { accuracy, confusionMatrix, macroF1, majorityBaseline } from './evaluate.js';
import { ACCURACY_FLOOR, DATA_PATH, DEFAULT_SEED } from './defaults.js';
import { stratifiedSplit } from './split.js';

export { ACCURACY_FLOOR, DATA_PATH, DEFAULT_SEED, MODEL_DIR } from './defaults.js';

export const MODEL_NAME = 'penguin-species';
/** The share of each species held out for the scores; the forest never sees those rows. */
export const TEST_FRACTION = 0.25;

/**
 * An odd number of trees makes a tie between two classes rarer. The forest draws its features once per
 * tree (ml-random-forest 2.1.0), not per split, so each tree keeps most of them (docs: issue 12).
 * The tree depth is bounded so that no option is Infinity, which JSON cannot hold.
 */
export const HYPERPARAMETERS = {
  nEstimators: 51,
  maxFeatures: 0.8,
  replacement: false,
  useSampleBagging: true,
  treeOptions: { gainFunction: 'gini', splitFunction: 'mean', minNumSamples: 3, maxDepth: 12, gainThreshold: 0.01 },
} as const;

export interface TrainOptions {
  dataPath?: string;
  seed?: number;
  accuracyFloor?: number;
  /** Told of each step (rows, trees, scores) for the progress lines. */
  progress?: (line: string) => void;
}

export interface TrainedModel {
  model: ModelFile;
  /** model.json as written: its sha256 is the card's version. */
  modelText: string;
  card: ModelCard;
  /** The held-out rows, for tests that compare the served answers with the library's own. */
  test: { instances: PredictInstance[]; labels: string[] };
  /** Whether the held-out accuracy reached the floor; `writeModel` refuses a model that did not. */
  passed: boolean;
}

export async function trainModel(options: TrainOptions = {}): Promise<TrainedModel> {
  const started = performance.now();
  const seed = options.seed ?? DEFAULT_SEED;
  const accuracyFloor = options.accuracyFloor ?? ACCURACY_FLOOR;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0x7fffffff) {
    throw new RangeError(`the seed must be an integer from 0 to ${0x7fffffff}, not ${seed}`);
  }
  if (!(accuracyFloor >= 0 && accuracyFloor <= 1)) {
    throw new RangeError(`the accuracy floor must be from 0 to 1, not ${accuracyFloor}`);
  }
  const progress = options.progress ?? (() => {});

  const dataset = parsePenguins(JSON.parse(await readFile(options.dataPath ?? DATA_PATH, 'utf8')));
  const { samples } = dataset;
  const classes = [...new Set(samples.map((sample) => sample.label))].sort();
  const split = stratifiedSplit(
    samples.map((sample) => sample.label),
    TEST_FRACTION,
    seed,
  );
  const trainSamples = split.train.map((index) => samples[index]!);
  const testSamples = split.test.map((index) => samples[index]!);

  // Ranges from the rows the model learns from: a value outside them is one it has not seen.
  const features: ModelFeature[] = [
    ...NUMBER_COLUMNS.map(({ name, unit }): ModelFeature => {
      const values = trainSamples.map((sample) => sample.features[name] as number);
      return { name, type: 'number', unit, min: Math.min(...values), max: Math.max(...values) };
    }),
    ...CATEGORY_COLUMNS.map(({ name }): ModelFeature => ({
      name,
      type: 'category',
      values: [...new Set(samples.map((sample) => sample.features[name] as string))].sort(),
    })),
  ];
  const labelOf = (sample: (typeof samples)[number]) => classes.indexOf(sample.label);

  progress(
    `training on ${trainSamples.length} of ${dataset.rows} rows (${testSamples.length} held out, ` +
      `${dataset.rows - samples.length} dropped), ${HYPERPARAMETERS.nEstimators} trees, seed ${seed}`,
  );
  const forest = new RandomForestClassifier({
    ...HYPERPARAMETERS,
    treeOptions: { ...HYPERPARAMETERS.treeOptions },
    seed,
    noOOB: true,
  });
  forest.train(
    trainSamples.map((sample) => encode(features, sample.features)),
    trainSamples.map(labelOf),
  );

  const model: ModelFile = { format: 1, name: MODEL_NAME, classes, features, forest: forest.toJSON() };
  const modelText = `${JSON.stringify(model)}\n`;
  // Scored through the file as written and read back, as the service will load it.
  const served = loadForest((JSON.parse(modelText) as ModelFile).forest, classes.length);
  const predicted = served.vote(testSamples.map((sample) => encode(features, sample.features))).map((v) => v.label);
  const truth = testSamples.map(labelOf);
  const matrix = confusionMatrix(truth, predicted, classes.length);
  const metrics = {
    accuracy: accuracy(matrix),
    macroF1: macroF1(matrix),
    baselineAccuracy: majorityBaseline(trainSamples.map(labelOf), truth, classes.length),
    accuracyFloor,
    confusionMatrix: matrix,
  };
  const passed = metrics.accuracy >= accuracyFloor;
  progress(
    `held-out accuracy ${metrics.accuracy.toFixed(4)}, macro-F1 ${metrics.macroF1.toFixed(4)}, ` +
      `majority baseline ${metrics.baselineAccuracy.toFixed(4)} (floor ${accuracyFloor})`,
  );

  const card: ModelCard = {
    name: MODEL_NAME,
    version: sha256(modelText),
    algorithm: 'random forest classifier (ml-random-forest: bagged CART trees, Gini; probabilities are vote shares)',
    dataset: { ...DATASET, samples: samples.length },
    features,
    classes,
    training: {
      trainedAt: new Date().toISOString(),
      trainSamples: trainSamples.length,
      testSamples: testSamples.length,
      seed,
      hyperparameters: { ...HYPERPARAMETERS, testFraction: TEST_FRACTION, stratified: true },
      durationMs: Math.round(performance.now() - started),
    },
    metrics,
  };
  return {
    model,
    modelText,
    card,
    test: {
      instances: testSamples.map((sample) => sample.features),
      labels: testSamples.map((sample) => sample.label),
    },
    passed,
  };
}

/**
 * Writes model.json, card.json and any `extra` files (name → JSON value) into `directory`, each through a
 * temporary file and a rename, card.json last: a reader never sees half a file, and a card never
 * describes a model file that is not there yet.
 */
export async function writeModel(
  directory: string,
  trained: TrainedModel,
  extra: Record<string, unknown> = {},
): Promise<void> {
  if (!trained.passed) {
    throw new Error(
      `held-out accuracy ${trained.card.metrics.accuracy} is below the floor ${trained.card.metrics.accuracyFloor}: not written`,
    );
  }
  await mkdir(directory, { recursive: true });
  const files: Array<[string, string]> = [
    [MODEL_FILE, trained.modelText],
    ...Object.entries(extra).map(([name, value]): [string, string] => [name, `${JSON.stringify(value, null, 2)}\n`]),
    [CARD_FILE, `${JSON.stringify(trained.card, null, 2)}\n`],
  ];
  for (const [name, text] of files) {
    const temporary = path.join(directory, `.${name}.${randomUUID()}.tmp`);
    await writeFile(temporary, text);
    await rename(temporary, path.join(directory, name));
  }
}
