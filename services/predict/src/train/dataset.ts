/**
 * The Palmer penguins as vega-datasets publishes them (data/penguins.json): one object per penguin
 * with its species, island, four measurements and sex. Rows without the four measurements or without
 * a recorded sex are dropped (data/README.md says which and why).
 */
import type { PredictInstance } from '@shipshape/contracts';

export const DATASET = {
  name: 'Palmer penguins',
  source:
    'vega-datasets 3.2.1 (npm), data/penguins.json; collected by Dr. Kristen Gorman and the Palmer Station Antarctica LTER, via Allison Horst’s palmerpenguins',
  license: 'CC0-1.0 (the data, as vega-datasets’ datapackage.json states; the package’s BSD-3-Clause covers its code)',
} as const;

/** The column of the file each feature comes from, and its unit; categories are listed by the data. */
export const NUMBER_COLUMNS = [
  { name: 'bill_length_mm', column: 'Beak Length (mm)', unit: 'mm' },
  { name: 'bill_depth_mm', column: 'Beak Depth (mm)', unit: 'mm' },
  { name: 'flipper_length_mm', column: 'Flipper Length (mm)', unit: 'mm' },
  { name: 'body_mass_g', column: 'Body Mass (g)', unit: 'g' },
] as const;

export const CATEGORY_COLUMNS = [
  { name: 'island', column: 'Island', read: (value: unknown) => (typeof value === 'string' && value ? value : null) },
  {
    name: 'sex',
    column: 'Sex',
    // The file spells them MALE and FEMALE, and an unknown sex as null or ".".
    read: (value: unknown) => (value === 'MALE' ? 'male' : value === 'FEMALE' ? 'female' : null),
  },
] as const;

export const LABEL_COLUMN = 'Species';

export interface Sample {
  features: PredictInstance;
  label: string;
}

export interface Dataset {
  samples: Sample[];
  /** Rows in the file. */
  rows: number;
  /** Rows left out, by reason. */
  dropped: { missingMeasurement: number; unknownSex: number };
}

/** The file's rows as samples, in file order. */
export function parsePenguins(rows: unknown): Dataset {
  if (!Array.isArray(rows)) throw new Error('penguins.json: expected an array of rows');
  const samples: Sample[] = [];
  const dropped = { missingMeasurement: 0, unknownSex: 0 };
  rows.forEach((row: Record<string, unknown>, index) => {
    const label = row[LABEL_COLUMN];
    if (typeof label !== 'string' || label === '') throw new Error(`penguins.json: row ${index} has no species`);
    const features: PredictInstance = {};
    for (const { name, column } of NUMBER_COLUMNS) {
      const value = row[column];
      features[name] = typeof value === 'number' && Number.isFinite(value) ? value : null;
    }
    if (NUMBER_COLUMNS.some(({ name }) => features[name] === null)) {
      dropped.missingMeasurement += 1;
      return;
    }
    for (const { name, column, read } of CATEGORY_COLUMNS) features[name] = read(row[column]);
    if (features.island === null) throw new Error(`penguins.json: row ${index} has no island`);
    if (features.sex === null) {
      dropped.unknownSex += 1;
      return;
    }
    samples.push({ features, label });
  });
  return { samples, rows: rows.length, dropped };
}
