import type { EventStreamState } from '../useEventStream';

const TEXT = { connecting: 'Connecting…', open: 'Live', reconnecting: 'Reconnecting', closed: 'Closed' } as const;

export function StreamBadge({ state }: { state: EventStreamState }) {
  const retry =
    state.status === 'reconnecting' && state.retryInMs !== null ? ` in ${Math.ceil(state.retryInMs / 1000)} s` : '';
  return (
    <span className={`badge stream-${state.status}`} role="status">
      <span className="dot" aria-hidden="true" />
      {TEXT[state.status]}
      {retry}
    </span>
  );
}
