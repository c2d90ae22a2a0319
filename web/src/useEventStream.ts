import { useEffect, useRef, useState } from 'react';
import { openStream, type StreamStatus } from './sse';

export interface EventStreamState {
  status: StreamStatus;
  /** Milliseconds until the next try, while reconnecting. */
  retryInMs: number | null;
}

/**
 * One reconnecting stream for as long as the component is mounted. `onEvent` gets the parsed JSON of
 * each `event` message; a message that is not JSON is skipped (the next one will be).
 */
export function useEventStream<T>(
  url: string,
  event: string,
  onEvent: (data: T) => void,
  staleAfterMs?: number,
): EventStreamState {
  const [state, setState] = useState<EventStreamState>({ status: 'connecting', retryInMs: null });
  const handler = useRef(onEvent);
  useEffect(() => {
    handler.current = onEvent;
  });
  useEffect(() => {
    const stream = openStream({
      url,
      staleAfterMs,
      events: {
        [event]: (data) => {
          let parsed: T;
          try {
            parsed = JSON.parse(data) as T;
          } catch {
            return;
          }
          handler.current(parsed);
        },
      },
      onStatus: (status, retryInMs) => {
        if (status !== 'closed') setState({ status, retryInMs: retryInMs ?? null });
      },
    });
    return () => stream.close();
  }, [url, event, staleAfterMs]);
  return state;
}
