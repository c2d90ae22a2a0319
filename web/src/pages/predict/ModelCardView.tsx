import type { ModelCard } from '@shipshape/contracts';
import { TableWrap } from '../../components/TableWrap';

const percent = (value: number) => `${(value * 100).toFixed(1)} %`;

export function ModelCardView({ card }: { card: ModelCard }) {
  const { dataset, metrics, training } = card;
  return (
    <div className="card">
      <h2>Model card</h2>
      <dl className="facts">
        <div className="contents">
          <dt>Model</dt>
          <dd>
            {card.name} · {card.algorithm}
          </dd>
        </div>
        <div className="contents">
          <dt>Version</dt>
          <dd className="mono">{card.version.slice(0, 12)}</dd>
        </div>
        <div className="contents">
          <dt>Dataset</dt>
          <dd>
            {dataset.name}, {dataset.samples.toLocaleString('en')} samples
          </dd>
        </div>
        <div className="contents">
          <dt>Source</dt>
          <dd>{dataset.source}</dd>
        </div>
        <div className="contents">
          <dt>Licence</dt>
          <dd>{dataset.license}</dd>
        </div>
        <div className="contents">
          <dt>Trained</dt>
          <dd>
            {new Date(training.trainedAt).toLocaleString('en-GB')} on {training.trainSamples} samples, tested on{' '}
            {training.testSamples} (seed {training.seed}, {Math.round(training.durationMs)} ms)
          </dd>
        </div>
      </dl>

      <h3 className="mt">On held-out data</h3>
      <div className="metrics">
        <div>
          <div className="gauge-figure">{percent(metrics.accuracy)}</div>
          <div className="small muted">accuracy (floor {percent(metrics.accuracyFloor)})</div>
        </div>
        <div>
          <div className="gauge-figure">{metrics.macroF1.toFixed(3)}</div>
          <div className="small muted">macro F1</div>
        </div>
        <div>
          <div className="gauge-figure">{percent(metrics.baselineAccuracy)}</div>
          <div className="small muted">baseline (always the most common class)</div>
        </div>
      </div>

      <h3 className="mt">Confusion matrix</h3>
      <TableWrap label="Confusion matrix">
        <table className="matrix">
          <caption className="small muted">Rows: the true species. Columns: what the model predicted.</caption>
          <thead>
            <tr>
              <th scope="col">true \ predicted</th>
              {card.classes.map((name) => (
                <th scope="col" key={name}>
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {card.classes.map((name, row) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                {card.classes.map((column, index) => (
                  <td key={column} className={index === row ? 'diagonal' : undefined}>
                    {metrics.confusionMatrix[row]?.[index] ?? 0}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <details className="mt">
        <summary>Hyperparameters</summary>
        <pre className="mono small">{JSON.stringify(training.hyperparameters, null, 2)}</pre>
      </details>
    </div>
  );
}
