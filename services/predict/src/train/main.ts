/**
 * `npm run train -w services/predict [-- --seed N --out DIR --accuracy-floor X]`: trains the model and
 * writes model/ (or DIR). Exits 1, writing nothing, when the held-out accuracy is under the floor.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { INPUTS_FILE, trainingInputs } from './inputs.js';
import { ACCURACY_FLOOR, DEFAULT_SEED, MODEL_DIR, trainModel, writeModel } from './train.js';

const usage = 'usage: npm run train -w services/predict -- [--seed N] [--out DIR] [--accuracy-floor X]';

function fail(message: string): never {
  process.stderr.write(`predict train: ${message}\n`);
  process.exit(1);
}

let values: { seed?: string; out?: string; 'accuracy-floor'?: string };
try {
  ({ values } = parseArgs({
    options: { seed: { type: 'string' }, out: { type: 'string' }, 'accuracy-floor': { type: 'string' } },
    strict: true,
  }));
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`);
}

const number = (name: string, text: string | undefined, fallback: number) => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) fail(`--${name} must be a number, not "${text}"\n${usage}`);
  return value;
};
const seed = number('seed', values.seed, DEFAULT_SEED);
const accuracyFloor = number('accuracy-floor', values['accuracy-floor'], ACCURACY_FLOOR);
const out = path.resolve(values.out ?? MODEL_DIR);

try {
  const trained = await trainModel({
    seed,
    accuracyFloor,
    progress: (line) => process.stdout.write(`predict train: ${line}\n`),
  });
  if (!trained.passed) {
    fail(
      `held-out accuracy ${trained.card.metrics.accuracy.toFixed(4)} is below the floor ${accuracyFloor}; ` +
        `nothing written to ${out}`,
    );
  }
  await writeModel(out, trained, { [INPUTS_FILE]: await trainingInputs({ seed, accuracyFloor }) });
  process.stdout.write(
    `predict train: wrote ${out} (version ${trained.card.version.slice(0, 12)}) in ${trained.card.training.durationMs} ms\n`,
  );
} catch (error) {
  fail((error as Error).message);
}
