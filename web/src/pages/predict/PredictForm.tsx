import type { ModelCard, ModelFeature, Prediction } from '@shipshape/contracts';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, describeError } from '../../api/client';
import { Field } from '../../components/Field';
import { apiFieldErrors, type FieldErrors } from '../../components/formErrors';

/** A feature's starting value: the middle of its training range, or its first category. */
export function initialValue(feature: ModelFeature): string {
  if (feature.type === 'category') return feature.values[0] ?? '';
  const middle = (feature.min + feature.max) / 2;
  return String(Math.round(middle * 10) / 10);
}

/** `bill_length_mm` with unit `mm` reads "Bill length (mm)". */
export function featureLabel(feature: ModelFeature): string {
  const unit = feature.type === 'number' ? feature.unit : '';
  const name = unit && feature.name.endsWith(`_${unit}`) ? feature.name.slice(0, -unit.length - 1) : feature.name;
  const words = name.replace(/_/g, ' ');
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  return unit ? `${label} (${unit})` : label;
}

/** The request body from the form's strings, or the problems per `features.<name>`. */
export function toFeatures(
  features: ModelFeature[],
  values: Record<string, string>,
): { ok: true; features: Record<string, string | number> } | { ok: false; errors: FieldErrors } {
  const out: Record<string, string | number> = {};
  const errors: FieldErrors = {};
  for (const feature of features) {
    const raw = (values[feature.name] ?? '').trim();
    if (feature.type === 'category') {
      if (!feature.values.includes(raw))
        errors[`features.${feature.name}`] = [`choose one of ${feature.values.join(', ')}`];
      else out[feature.name] = raw;
    } else if (raw === '' || !Number.isFinite(Number(raw))) {
      errors[`features.${feature.name}`] = [`${feature.name} must be a number`];
    } else {
      out[feature.name] = Number(raw);
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, features: out };
}

/** The model card's features as a form; its answer goes to `onPredicted`. */
export function PredictForm({ card, onPredicted }: { card: ModelCard; onPredicted: (prediction: Prediction) => void }) {
  const [values, setValues] = useState(() =>
    Object.fromEntries(card.features.map((feature) => [feature.name, initialValue(feature)])),
  );
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const predict = useMutation({
    mutationFn: async (features: Record<string, string | number>) =>
      (await api<Prediction>('/api/predict', { method: 'POST', body: { features } })).body,
    onSuccess: (prediction) => onPredicted(prediction),
  });
  const keys = card.features.map((feature) => `features.${feature.name}`);
  const errors = predict.isError ? apiFieldErrors(predict.error, keys) : localErrors;
  const other =
    errors[''] ?? (predict.isError && Object.keys(errors).length === 0 ? [describeError(predict.error)] : []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    predict.reset();
    const checked = toFeatures(card.features, values);
    if (!checked.ok) {
      setLocalErrors(checked.errors);
      return;
    }
    setLocalErrors({});
    predict.mutate(checked.features);
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Predict">
      <h2>Measurements</h2>
      <div className="form-row">
        {card.features.map((feature) => (
          <Field
            key={feature.name}
            label={featureLabel(feature)}
            errors={errors[`features.${feature.name}`]}
            hint={
              feature.type === 'number'
                ? `${feature.min} to ${feature.max} ${feature.unit} in the training data`
                : `${feature.values.length} choices`
            }
          >
            {(props) =>
              feature.type === 'number' ? (
                <input
                  {...props}
                  type="number"
                  name={feature.name}
                  min={feature.min}
                  max={feature.max}
                  step="any"
                  value={values[feature.name] ?? ''}
                  onChange={(event) => setValues((current) => ({ ...current, [feature.name]: event.target.value }))}
                />
              ) : (
                <select
                  {...props}
                  name={feature.name}
                  value={values[feature.name] ?? ''}
                  onChange={(event) => setValues((current) => ({ ...current, [feature.name]: event.target.value }))}
                >
                  {feature.values.map((value) => (
                    <option key={value} value={value}>
                      {value}
                    </option>
                  ))}
                </select>
              )
            }
          </Field>
        ))}
      </div>
      {other.length > 0 && (
        <p className="notice bad" role="alert">
          {other.join('; ')}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button" disabled={predict.isPending}>
          {predict.isPending ? 'Predicting…' : 'Predict'}
        </button>
      </div>
    </form>
  );
}
