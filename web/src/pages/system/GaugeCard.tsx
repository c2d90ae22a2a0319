import type { Gauge } from './gauges';

const LEVEL_TEXT = { ok: '', high: ' · high', full: ' · at the limit' } as const;

export function GaugeCard({ title, gauge }: { title: string; gauge: Gauge }) {
  const percent = gauge.fraction === null ? null : Math.round(gauge.fraction * 100);
  return (
    <div className="card">
      <h2>{title}</h2>
      <div className="gauge-figure">
        {percent === null ? '…' : `${percent} %`}
        <span className="small muted">{LEVEL_TEXT[gauge.level]}</span>
      </div>
      <div
        className="gauge-track"
        role="meter"
        aria-label={`${title} against ${gauge.limited ? 'the limit' : 'the host'}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? 0}
        aria-valuetext={`${gauge.text}, ${gauge.limitText}`}
      >
        <div className={`gauge-fill ${gauge.level}`} style={{ width: `${percent ?? 0}%` }} />
        {gauge.reservation !== null && (
          <div className="gauge-marker" style={{ left: `calc(${gauge.reservation * 100}% - 1px)` }} />
        )}
      </div>
      <div className="small">{gauge.text}</div>
      <div className="small muted" data-testid={`${title.toLowerCase()}-limit`}>
        {gauge.limited ? gauge.limitText : <strong>{gauge.limitText}</strong>}
      </div>
      {gauge.reservationText && (
        <div className="small muted">
          <span aria-hidden="true">▮</span> {gauge.reservationText}
          {gauge.reservation !== null && ` (the mark, at ${Math.round(gauge.reservation * 100)} %)`}
        </div>
      )}
    </div>
  );
}
