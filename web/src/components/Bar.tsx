/** A horizontal bar with its label and figure written out, so that its length is not the only signal. */
export function Bar({
  label,
  fraction,
  value,
  highlight = false,
}: {
  label: string;
  fraction: number;
  value: string;
  highlight?: boolean;
}) {
  const percent = Math.max(0, Math.min(1, fraction)) * 100;
  return (
    <div className={highlight ? 'bar highlight' : 'bar'}>
      <div className="bar-head">
        <span className="bar-label">{label}</span>
        <span className="bar-value">{value}</span>
      </div>
      <div
        className="bar-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(percent)}
        aria-valuetext={value}
      >
        <div className="bar-fill" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}
