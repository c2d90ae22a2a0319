import { modelCardSchema, predictionBatchSchema, predictionSchema, predictRequestSchema } from '@shipshape/contracts';
import type { AppServer } from '@shipshape/platform';
import { Counter, Histogram } from 'prom-client';
import type { Predictor } from './model/predictor.js';

/**
 * `GET /predict/model` (the card) and `POST /predict` (one instance or a batch), which the gateway
 * reaches for `/api/predict/model` and `/api/predict`. The body's shape is checked by the shared schema,
 * each feature by the predictor, which names every problem.
 */
export function registerPredictRoutes(app: AppServer, predictor: Predictor): void {
  const predictions = new Counter({
    name: 'predict_predictions_total',
    help: 'Instances answered, by predicted class',
    labelNames: ['class'] as const,
    registers: [app.metrics.registry],
  });
  const batchSize = new Histogram({
    name: 'predict_batch_size',
    help: 'Instances per answered request (1 for { features })',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [app.metrics.registry],
  });

  app.get('/predict/model', { schema: { response: { 200: modelCardSchema } } }, async () => predictor.card);

  app.post(
    '/predict',
    { schema: { body: predictRequestSchema, response: { 200: predictionSchema.or(predictionBatchSchema) } } },
    async (request) => {
      const { features, instances } = request.body;
      const answers =
        features !== undefined
          ? predictor.predict([features], ['body.features'])
          : predictor.predict(
              instances!,
              instances!.map((_instance, index) => `body.instances.${index}`),
            );
      batchSize.observe(answers.length);
      for (const answer of answers) predictions.inc({ class: answer.prediction });
      return features !== undefined ? answers[0]! : { predictions: answers };
    },
  );
}
