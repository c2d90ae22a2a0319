/**
 * Run by the root `npm run build` after `tsc -b`: trains model/ when it is missing, does not match its
 * card, or was trained from other inputs (dataset, training code, library version) than the ones here.
 * Silent when model/ is up to date, so a build costs a few file reads. `node dist/train/ifStale.js DIR`
 * checks DIR instead (the tests).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CARD_FILE, MODEL_FILE, sha256 } from '../model/files.js';
import { INPUTS_FILE, trainingInputs, type TrainingInputs } from './inputs.js';
import { ACCURACY_FLOOR, DEFAULT_SEED, MODEL_DIR } from './defaults.js';

async function whyStale(directory: string, inputs: TrainingInputs): Promise<string | undefined> {
  const files = [MODEL_FILE, CARD_FILE, INPUTS_FILE].map((name) => path.join(directory, name));
  const absent = files.find((file) => !existsSync(file));
  if (absent) return `${path.basename(absent)} is missing`;
  try {
    const [model, card, stored] = await Promise.all(files.map((file) => readFile(file)));
    if ((JSON.parse(card!.toString('utf8')) as { version?: unknown }).version !== sha256(model!)) {
      return `${CARD_FILE} does not describe ${MODEL_FILE}`;
    }
    if ((JSON.parse(stored!.toString('utf8')) as Partial<TrainingInputs>).digest !== inputs.digest) {
      return 'its inputs changed';
    }
  } catch (error) {
    return `it cannot be read (${(error as Error).message})`;
  }
  return undefined;
}

const options = { seed: DEFAULT_SEED, accuracyFloor: ACCURACY_FLOOR };
const inputs = await trainingInputs(options);
const directory = process.argv[2] ? path.resolve(process.argv[2]) : MODEL_DIR;
const reason = await whyStale(directory, inputs);
if (reason !== undefined) {
  // Only now the trainer and the forest library: a fresh model/ costs a few file reads.
  const { trainModel, writeModel } = await import('./train.js');
  const trained = await trainModel(options);
  if (!trained.passed) {
    process.stderr.write(
      `predict: held-out accuracy ${trained.card.metrics.accuracy} is below the floor ${options.accuracyFloor}; model/ not written\n`,
    );
    process.exit(1);
  }
  await writeModel(directory, trained, { [INPUTS_FILE]: inputs });
  process.stderr.write(
    `predict: trained ${path.relative(process.cwd(), directory) || directory} (${reason}): ` +
      `held-out accuracy ${trained.card.metrics.accuracy.toFixed(4)}, version ${trained.card.version.slice(0, 12)}\n`,
  );
}
