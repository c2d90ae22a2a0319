import type { ModelCard, Prediction } from '@shipshape/contracts';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { getJson } from '../../api/client';
import { Bar } from '../../components/Bar';
import { ErrorNote, Loading } from '../../components/Status';
import { usePageTitle } from '../../components/usePageTitle';
import { ModelCardView } from './ModelCardView';
import { PredictForm } from './PredictForm';

function Answer({ prediction }: { prediction: Prediction }) {
  const ranked = Object.entries(prediction.probabilities).sort(([, a], [, b]) => b - a);
  return (
    <div className="mt" aria-live="polite" data-testid="prediction">
      <h3>Prediction</h3>
      <div className="prediction">{prediction.prediction}</div>
      {ranked.map(([name, probability]) => (
        <Bar
          key={name}
          label={name}
          fraction={probability}
          value={`${(probability * 100).toFixed(1)} %`}
          highlight={name === prediction.prediction}
        />
      ))}
      {prediction.warnings.map((warning) => (
        <p key={warning.feature} className="notice warn">
          <strong>! {warning.feature}:</strong> {warning.message}
        </p>
      ))}
      <p className="small muted">
        Model version <code>{prediction.modelVersion}</code>
      </p>
    </div>
  );
}

export function PredictPage() {
  usePageTitle('Prediction');
  const card = useQuery({
    queryKey: ['model'],
    queryFn: ({ signal }) => getJson<ModelCard>('/api/predict/model', signal),
    staleTime: Infinity,
  });
  const [prediction, setPrediction] = useState<Prediction | null>(null);

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Prediction</h1>
          <p>
            {card.data
              ? `${card.data.dataset.name}: ${card.data.classes.join(', ')} told apart by a model from ${card.data.features.length} measurements.`
              : 'A model served over HTTP, with its model card.'}
          </p>
        </div>
      </div>
      {card.isPending ? (
        <Loading what="the model card" />
      ) : card.isError ? (
        <ErrorNote error={card.error} what="the model card" onRetry={() => void card.refetch()} />
      ) : (
        <div className="grid two">
          <div className="card">
            <PredictForm card={card.data} onPredicted={setPrediction} />
            {prediction && <Answer prediction={prediction} />}
          </div>
          <ModelCardView card={card.data} />
        </div>
      )}
    </section>
  );
}
