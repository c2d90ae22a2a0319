import type { ReactNode } from 'react';
import { describeError } from '../api/client';

/** Each page's three other states besides its content: loading, an error, nothing there yet. */

export function Loading({ what }: { what: string }) {
  return (
    <p className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorNote({ error, onRetry, what }: { error: unknown; onRetry?: () => void; what?: string }) {
  return (
    <div className="state state-error" role="alert">
      <span className="icon" aria-hidden="true">
        ⚠
      </span>
      <div>
        <strong>{what ? `Could not load ${what}.` : 'Something went wrong.'}</strong> {describeError(error)}
      </div>
      {onRetry && (
        <button type="button" className="button secondary small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}
