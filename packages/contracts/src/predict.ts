import { z } from 'zod';

/**
 * The prediction application (issue 12): a model trained in the image build, its card, and its
 * answers. Which features a request must carry comes from the model card, so the shape is checked
 * here and every feature by name in the predict service.
 */

/** At most this many instances in one `POST /api/predict` batch. */
export const MAX_PREDICT_BATCH = 1_000;

export const numberFeatureSchema = z.object({
  name: z.string(),
  type: z.literal('number'),
  unit: z.string(),
  min: z.number(),
  max: z.number(),
});

export const categoryFeatureSchema = z.object({
  name: z.string(),
  type: z.literal('category'),
  values: z.array(z.string()).min(1),
});

export const featureSchema = z.discriminatedUnion('type', [numberFeatureSchema, categoryFeatureSchema]);

export const modelCardSchema = z
  .object({
    name: z.string(),
    /** The model file's sha256. */
    version: z.string(),
    algorithm: z.string(),
    dataset: z.object({
      name: z.string(),
      source: z.string(),
      license: z.string(),
      samples: z.number().int().positive(),
    }),
    features: z.array(featureSchema).min(1),
    classes: z.array(z.string()).min(2),
    training: z.object({
      trainedAt: z.iso.datetime(),
      trainSamples: z.number().int().positive(),
      testSamples: z.number().int().positive(),
      seed: z.number().int(),
      hyperparameters: z.record(z.string(), z.unknown()),
      durationMs: z.number().nonnegative(),
    }),
    /** All on the held-out split the model never trained on. */
    metrics: z.object({
      accuracy: z.number().min(0).max(1),
      macroF1: z.number().min(0).max(1),
      baselineAccuracy: z.number().min(0).max(1),
      /** The floor the tests hold the held-out accuracy to. */
      accuracyFloor: z.number().min(0).max(1),
      /** Rows are the true class, columns the predicted one, both in `classes` order. */
      confusionMatrix: z.array(z.array(z.number().int().nonnegative())),
    }),
  })
  .meta({ id: 'ModelCard' });

/** One instance: a value per feature, named as the model card names them. */
export const predictInstanceSchema = z.record(z.string(), z.unknown()).meta({ id: 'PredictInstance' });

export const predictRequestSchema = z
  .strictObject({
    features: predictInstanceSchema.optional(),
    instances: z.array(predictInstanceSchema).min(1).max(MAX_PREDICT_BATCH).optional(),
  })
  .superRefine((body, context) => {
    if ((body.features === undefined) === (body.instances === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: 'give either "features" (one instance) or "instances" (a batch), not both or neither',
      });
    }
  })
  .meta({ id: 'PredictRequest' });

/** A value outside the training range is answered, with a warning naming the feature. */
export const predictWarningSchema = z.object({ feature: z.string(), message: z.string() });

export const predictionSchema = z
  .object({
    prediction: z.string(),
    probabilities: z.record(z.string(), z.number().min(0).max(1)),
    /** The first 12 characters of the model's sha256. */
    modelVersion: z.string(),
    warnings: z.array(predictWarningSchema),
  })
  .meta({ id: 'Prediction' });

export const predictionBatchSchema = z
  .object({ predictions: z.array(predictionSchema) })
  .meta({ id: 'PredictionBatch' });

export type ModelCard = z.infer<typeof modelCardSchema>;
export type ModelFeature = z.infer<typeof featureSchema>;
export type PredictInstance = z.infer<typeof predictInstanceSchema>;
export type PredictRequest = z.infer<typeof predictRequestSchema>;
export type Prediction = z.infer<typeof predictionSchema>;
export type PredictionBatch = z.infer<typeof predictionBatchSchema>;
