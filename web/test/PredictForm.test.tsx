import type { ModelCard } from '@shipshape/contracts';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { PredictForm } from '../src/pages/predict/PredictForm';
import { renderWithQuery, stubFetch } from './render';

const card: ModelCard = {
  name: 'penguin-species',
  version: 'f'.repeat(64),
  algorithm: 'random forest',
  dataset: { name: 'Palmer penguins', source: 'test', license: 'CC0-1.0', samples: 333 },
  features: [
    { name: 'bill_length_mm', type: 'number', unit: 'mm', min: 32.1, max: 59.6 },
    { name: 'body_mass', type: 'number', unit: 'g', min: 2700, max: 6300 },
    { name: 'island', type: 'category', values: ['Biscoe', 'Dream', 'Torgersen'] },
  ],
  classes: ['Adelie', 'Chinstrap', 'Gentoo'],
  training: {
    trainedAt: '2026-01-01T00:00:00.000Z',
    trainSamples: 249,
    testSamples: 84,
    seed: 42,
    hyperparameters: {},
    durationMs: 10,
  },
  metrics: {
    accuracy: 0.98,
    macroF1: 0.97,
    baselineAccuracy: 0.44,
    accuracyFloor: 0.9,
    confusionMatrix: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
  },
};

describe('PredictForm', () => {
  it('builds a control per feature with its unit and range', () => {
    renderWithQuery(<PredictForm card={card} onPredicted={() => {}} />);
    const bill = screen.getByLabelText('Bill length (mm)');
    expect(bill).toHaveAttribute('type', 'number');
    expect(bill).toHaveAttribute('min', '32.1');
    expect(bill).toHaveAttribute('max', '59.6');
    expect(bill).toHaveValue(45.9);
    expect(bill).toHaveAccessibleDescription('32.1 to 59.6 mm in the training data');
    expect(screen.getByLabelText('Body mass (g)')).toHaveValue(4500);
    const island = screen.getByLabelText('Island');
    expect(island.tagName).toBe('SELECT');
    expect([...(island as HTMLSelectElement).options].map((option) => option.value)).toEqual([
      'Biscoe',
      'Dream',
      'Torgersen',
    ]);
  });

  it('sends numbers as numbers and categories as chosen, and hands the answer over', async () => {
    const prediction = {
      prediction: 'Gentoo',
      probabilities: { Gentoo: 0.9, Adelie: 0.1 },
      modelVersion: 'f',
      warnings: [],
    };
    const calls = stubFetch({ status: 200, body: prediction });
    const onPredicted = vi.fn();
    renderWithQuery(<PredictForm card={card} onPredicted={onPredicted} />);
    await userEvent.clear(screen.getByLabelText('Bill length (mm)'));
    await userEvent.type(screen.getByLabelText('Bill length (mm)'), '47.5');
    await userEvent.selectOptions(screen.getByLabelText('Island'), 'Dream');
    await userEvent.click(screen.getByRole('button', { name: 'Predict' }));
    await waitFor(() => expect(onPredicted).toHaveBeenCalledWith(prediction));
    expect(calls[0]).toMatchObject({
      url: '/api/predict',
      method: 'POST',
      body: { features: { bill_length_mm: 47.5, body_mass: 4500, island: 'Dream' } },
    });
  });

  it('shows the API’s 400 next to the feature it names', async () => {
    stubFetch({
      status: 400,
      body: {
        error: 'Invalid features',
        details: [{ path: 'body.features.body_mass', message: 'body_mass must be a finite number' }],
      },
    });
    renderWithQuery(<PredictForm card={card} onPredicted={() => {}} />);
    await userEvent.click(screen.getByRole('button', { name: 'Predict' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Body mass (g)')).toHaveAccessibleDescription(/body_mass must be a finite number/),
    );
    expect(screen.getByLabelText('Bill length (mm)')).not.toHaveAttribute('aria-invalid');
  });

  it('refuses an empty number before sending', async () => {
    const calls = stubFetch();
    renderWithQuery(<PredictForm card={card} onPredicted={() => {}} />);
    await userEvent.clear(screen.getByLabelText('Bill length (mm)'));
    await userEvent.click(screen.getByRole('button', { name: 'Predict' }));
    expect(screen.getByLabelText('Bill length (mm)')).toHaveAccessibleDescription(/bill_length_mm must be a number/);
    expect(calls).toHaveLength(0);
  });
});
