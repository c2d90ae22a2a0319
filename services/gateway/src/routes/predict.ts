import {
  MAX_PREDICT_BATCH,
  modelCardSchema,
  predictionBatchSchema,
  predictionSchema,
  predictRequestSchema,
} from '@shipshape/contracts';
import type { AppServer } from '@shipshape/platform';
import type { Upstream } from '../upstream.js';
import { bodyErrors, clientErrors, upstreamErrors } from './schemas.js';

const tags = ['predict'];

/** A full batch of instances is larger than the gateway's default body limit. */
export const PREDICT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The prediction API. Which features an instance carries comes from the model card, so the gateway
 * checks the body's shape and the predict service every feature by name.
 */
export function registerPredictRoutes(app: AppServer, predict: Upstream): void {
  app.get(
    '/api/predict/model',
    {
      schema: {
        tags,
        summary: 'The model card',
        description:
          'What the model is (algorithm, version as the model file’s sha256), what it was trained on (dataset, ' +
          'source, licence, features with units and ranges, classes), how (hyperparameters, seed, sizes) and how ' +
          'well it scored on the held-out split it never trained on, beside the majority-class baseline.',
        response: { 200: modelCardSchema, ...clientErrors, ...upstreamErrors },
      },
    },
    (request, reply) => predict.forward(request, reply, '/predict/model'),
  );

  app.post(
    '/api/predict',
    {
      bodyLimit: PREDICT_BODY_LIMIT_BYTES,
      schema: {
        tags,
        summary: 'Predict',
        description:
          '`{ "features": { … } }` answers one `Prediction`; `{ "instances": [ … ] }` (at most ' +
          `${MAX_PREDICT_BATCH}) answers \`{ "predictions": [ … ] }\` in the same order. Each instance gives every ` +
          'feature of the model card: a finite number for a number feature, one of its values for a category. A ' +
          'missing, unknown or mistyped feature is a 400 naming it; a number outside the training range is ' +
          'answered, with a `warnings` entry naming the feature.',
        body: predictRequestSchema,
        response: {
          200: predictionSchema.or(predictionBatchSchema),
          ...bodyErrors,
          ...upstreamErrors,
        },
      },
    },
    (request, reply) => predict.forward(request, reply, '/predict', request.rawBody ?? undefined),
  );
}
