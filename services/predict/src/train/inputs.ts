/**
 * What a trained model depends on, as one digest: the dataset file, the compiled training and model
 * code, the options it was trained with and the versions of the forest library. The build retrains
 * when the digest stored beside the model (inputs.json) differs from this one.
 */
import { createRequire } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../model/files.js';
import { DATA_PATH } from './defaults.js';

export const INPUTS_FILE = 'inputs.json';

export interface TrainingInputs {
  digest: string;
  seed: number;
  accuracyFloor: number;
  libraries: Record<string, string>;
}

const dist = fileURLToPath(new URL('..', import.meta.url));
const serviceRoot = path.resolve(dist, '..');

function libraryVersions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const forest = require('ml-random-forest/package.json') as { version: string };
  const fromForest = createRequire(require.resolve('ml-random-forest'));
  const cart = fromForest('ml-cart/package.json') as { version: string };
  return { 'ml-random-forest': forest.version, 'ml-cart': cart.version };
}

export async function trainingInputs(options: { seed: number; accuracyFloor: number }): Promise<TrainingInputs> {
  const code: string[] = [];
  for (const folder of ['model', 'train']) {
    for (const name of (await readdir(path.join(dist, folder))).filter((file) => file.endsWith('.js')).sort()) {
      code.push(path.join(dist, folder, name));
    }
  }
  const libraries = libraryVersions();
  const parts = [JSON.stringify({ ...options, libraries })];
  for (const file of [DATA_PATH, ...code]) {
    parts.push(`${path.relative(serviceRoot, file)}\0${sha256(await readFile(file))}`);
  }
  return { digest: sha256(parts.join('\n')), ...options, libraries };
}
