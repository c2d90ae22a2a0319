import type { ServiceState as State } from '@shipshape/contracts';

const ICON: Record<State, string> = { up: '✓', 'not ready': '!', down: '✕' };

/** A service's state in words and an icon, colour only on top. */
export function ServiceStateBadge({ state }: { state: State }) {
  return (
    <span className={`badge ${state.replace(' ', '-')}`}>
      <span aria-hidden="true">{ICON[state]}</span>
      {state}
    </span>
  );
}
