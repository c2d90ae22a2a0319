/**
 * The trained model as the service and the trainer share it: the file format, how an instance is
 * checked and encoded into the forest's numeric columns, and how the forest's votes become an answer.
 * The trainer (src/train/) writes what this reads; nothing here trains.
 */
import type { ModelFeature, Prediction, PredictInstance } from '@shipshape/contracts';
import type { ErrorDetail } from '@shipshape/platform';
import { RandomForestClassifier } from 'ml-random-forest';

export type ForestJson = ReturnType<RandomForestClassifier['toJSON']>;

/** model.json: everything needed to answer, and nothing that changes from one run to the next. */
export interface ModelFile {
  format: 1;
  name: string;
  /** The classes in the order of the forest's labels (label i is classes[i]). */
  classes: string[];
  /** The features in request order; numbers become one column, categories one column per value. */
  features: ModelFeature[];
  forest: ForestJson;
}

/** The forest's input columns, in order: a number as is, a category one-hot (one column per value). */
export function columnNames(features: readonly ModelFeature[]): string[] {
  return features.flatMap((feature) =>
    feature.type === 'number' ? [feature.name] : feature.values.map((value) => `${feature.name}=${value}`),
  );
}

/** The numeric row the forest takes, for an instance that `checkInstance` found valid. */
export function encode(features: readonly ModelFeature[], instance: PredictInstance): number[] {
  const row: number[] = [];
  for (const feature of features) {
    const value = instance[feature.name];
    if (feature.type === 'number') row.push(value as number);
    else for (const known of feature.values) row.push(value === known ? 1 : 0);
  }
  return row;
}

const describeValue = (value: unknown) =>
  typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value);

const describeType = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

/** What a number feature takes, as a client reads it: "a finite number in mm (32.1 to 59.6 in training)". */
function expectedNumber(feature: Extract<ModelFeature, { type: 'number' }>) {
  return `a finite number in ${feature.unit} (${feature.min} to ${feature.max} in training)`;
}

export interface InstanceCheck {
  problems: ErrorDetail[];
  warnings: Prediction['warnings'];
}

/**
 * Every problem of one instance, each under `path.<feature>`: a feature missing, one the model does
 * not know, a number feature that is not a finite JSON number (the string "1.5" is not), a category
 * that is not one of its values. A number outside the training range is no problem, only a warning.
 */
export function checkInstance(
  features: readonly ModelFeature[],
  instance: PredictInstance,
  path: string,
): InstanceCheck {
  const problems: ErrorDetail[] = [];
  const warnings: Prediction['warnings'] = [];
  for (const feature of features) {
    const at = `${path}.${feature.name}`;
    if (!Object.hasOwn(instance, feature.name) || instance[feature.name] === undefined) {
      const wanted = feature.type === 'number' ? expectedNumber(feature) : `one of ${feature.values.join(', ')}`;
      problems.push({ path: at, message: `is required: ${wanted}` });
      continue;
    }
    const value = instance[feature.name];
    if (feature.type === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        const given = typeof value === 'string' ? `the string ${describeValue(value)}` : describeType(value);
        problems.push({ path: at, message: `must be ${expectedNumber(feature)}, not ${given}` });
      } else if (value < feature.min || value > feature.max) {
        warnings.push({
          feature: feature.name,
          message: `${value} ${feature.unit} is outside the training range ${feature.min} to ${feature.max} ${feature.unit}: the model has not seen such a value`,
        });
      }
    } else if (typeof value !== 'string' || !feature.values.includes(value)) {
      const given = typeof value === 'string' ? describeValue(value) : describeType(value);
      problems.push({ path: at, message: `must be one of ${feature.values.join(', ')}, not ${given}` });
    }
  }
  const known = new Set(features.map((feature) => feature.name));
  for (const name of Object.keys(instance)) {
    if (!known.has(name)) {
      problems.push({
        path: `${path}.${name}`,
        message: `is not a feature of the model (its features: ${features.map((feature) => feature.name).join(', ')})`,
      });
    }
  }
  return { problems, warnings };
}

/** A loaded forest that answers rows: the class by the library's own vote, and every class's vote share. */
export interface Forest {
  /** For each row, the predicted label (index into classes) and the share of trees voting for each label. */
  vote(rows: number[][]): Array<{ label: number; shares: number[] }>;
}

/**
 * The library's `predict` takes the mode of the trees' votes; its `predictProbability` (2.1.0) starts its
 * sum from the first tree's label instead of 0 and skips that tree's vote, so its figures do not sum to 1.
 * The shares are counted here from the same per-tree votes (`predictionValues`), and the class is the
 * library's own `selection` of them, so the answer is always the one `predict` gives.
 */
export function loadForest(json: ForestJson, classCount: number): Forest {
  const forest = RandomForestClassifier.load(json);
  return {
    vote(rows) {
      const votes = forest.predictionValues(rows);
      const answers: Array<{ label: number; shares: number[] }> = [];
      for (let row = 0; row < votes.rows; row += 1) {
        const trees = votes.getRow(row);
        const counts = new Array<number>(classCount).fill(0);
        for (const label of trees) counts[label] = (counts[label] ?? 0) + 1;
        answers.push({ label: forest.selection(trees), shares: counts.map((count) => count / trees.length) });
      }
      return answers;
    },
  };
}
