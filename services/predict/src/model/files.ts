/** The files of model/ and how its version is taken; no dependency, so the build's staleness check stays light. */
import { createHash } from 'node:crypto';

export const MODEL_FILE = 'model.json';
export const CARD_FILE = 'card.json';
/** The first characters of the model file's sha256 that every prediction carries. */
export const MODEL_VERSION_LENGTH = 12;

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
