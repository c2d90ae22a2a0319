import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { modelCardSchema, type ModelCard, type Prediction, type PredictInstance } from '@shipshape/contracts';
import { invalidRequest, type ErrorDetail } from '@shipshape/platform';
import { CARD_FILE, MODEL_FILE, MODEL_VERSION_LENGTH, sha256 } from './files.js';
import { checkInstance, encode, loadForest, type ModelFile } from './model.js';

/** What the trainer is run with when there is no model to serve. */
export const TRAIN_COMMAND = 'npm run train -w services/predict';

/** A 400 lists at most this many problems (the last detail says how many more), however bad the batch. */
export const MAX_PROBLEMS_LISTED = 100;

export interface Predictor {
  card: ModelCard;
  /** The first characters of the model file's sha256. */
  modelVersion: string;
  /**
   * Answers every instance, in order, or throws one 400 naming every problem of every instance; `paths`
   * says where each instance is in the body (`body.features`, `body.instances.3`).
   */
  predict(instances: PredictInstance[], paths: string[]): Prediction[];
}

/** A model folder that cannot be served: missing, half-written or not matching its card. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/**
 * Loads model/ once: model.json, and card.json whose `version` must be model.json's sha256 (so a card is
 * never served beside another model than the one it describes).
 */
export async function loadPredictor(directory: string): Promise<Predictor> {
  const modelPath = path.join(directory, MODEL_FILE);
  const cardPath = path.join(directory, CARD_FILE);
  for (const file of [modelPath, cardPath]) {
    if (!existsSync(file)) {
      throw new ModelLoadError(
        `no trained model: ${file} does not exist (PREDICT_MODEL_DIR is ${directory}); run \`${TRAIN_COMMAND}\` to train it`,
      );
    }
  }
  const modelText = await readFile(modelPath);
  let card: ModelCard;
  let model: ModelFile;
  try {
    card = modelCardSchema.parse(JSON.parse(await readFile(cardPath, 'utf8')));
    model = JSON.parse(modelText.toString('utf8')) as ModelFile;
  } catch (error) {
    throw new ModelLoadError(`${directory} holds no usable model (${String(error)}); run \`${TRAIN_COMMAND}\` again`, {
      cause: error,
    });
  }
  const digest = sha256(modelText);
  if (card.version !== digest) {
    throw new ModelLoadError(
      `${cardPath} describes model ${card.version.slice(0, MODEL_VERSION_LENGTH)}, but ${modelPath} is ${digest.slice(0, MODEL_VERSION_LENGTH)}; run \`${TRAIN_COMMAND}\` again`,
    );
  }
  if (model.format !== 1 || JSON.stringify(model.classes) !== JSON.stringify(card.classes)) {
    throw new ModelLoadError(`${modelPath} is not a model this service reads; run \`${TRAIN_COMMAND}\` again`);
  }
  return createPredictor(model, card);
}

export function createPredictor(model: ModelFile, card: ModelCard): Predictor {
  const forest = loadForest(model.forest, model.classes.length);
  const modelVersion = card.version.slice(0, MODEL_VERSION_LENGTH);
  const { features, classes } = model;
  return {
    card,
    modelVersion,
    predict(instances, paths) {
      const problems: ErrorDetail[] = [];
      const warnings = instances.map((instance, index) => {
        const check = checkInstance(features, instance, paths[index]!);
        problems.push(...check.problems);
        return check.warnings;
      });
      if (problems.length > 0) {
        const listed = problems.slice(0, MAX_PROBLEMS_LISTED);
        if (problems.length > listed.length) {
          listed.push({ path: 'body', message: `and ${problems.length - listed.length} more problems like these` });
        }
        throw invalidRequest(listed);
      }
      const votes = forest.vote(instances.map((instance) => encode(features, instance)));
      return votes.map(({ label, shares }, index) => ({
        prediction: classes[label]!,
        probabilities: Object.fromEntries(classes.map((name, i) => [name, shares[i]!])),
        modelVersion,
        warnings: warnings[index]!,
      }));
    },
  };
}
