import { RESULTS_EVENT, type Poll, type Results } from '@shipshape/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, getJson } from '../../api/client';
import { Bar } from '../../components/Bar';
import { Empty, ErrorNote, Loading } from '../../components/Status';
import { StreamBadge } from '../../components/StreamBadge';
import { usePageTitle } from '../../components/usePageTitle';
import { useEventStream } from '../../useEventStream';
import { readChoice, saveChoice } from './choice';

export function percentOf(votes: number, total: number): number {
  return total > 0 ? (votes / total) * 100 : 0;
}

export function VotePage() {
  usePageTitle('Vote');
  const [choice, setChoice] = useState(readChoice);
  const [live, setLive] = useState<Results | null>(null);
  const poll = useQuery({ queryKey: ['poll'], queryFn: ({ signal }) => getJson<Poll>('/api/poll', signal) });
  const first = useQuery({
    queryKey: ['results'],
    queryFn: ({ signal }) => getJson<Results>('/api/results', signal),
  });
  const stream = useEventStream<Results>('/api/results/stream', RESULTS_EVENT, setLive);
  const cast = useMutation({
    mutationFn: (option: string) => api('/api/votes', { method: 'POST', body: { option } }),
    onSuccess: (_answer, option) => {
      saveChoice(option);
      setChoice(option);
    },
  });
  const results = live ?? first.data;
  const chosenLabel = poll.data?.options.find((option) => option.id === choice)?.label;

  return (
    <section className="page">
      <div className="page-head">
        <div>
          <h1>Vote</h1>
          <p>One current vote per browser: voting again replaces your earlier vote. Results arrive live.</p>
        </div>
      </div>
      <div className="grid two">
        <div className="card">
          {poll.isPending ? (
            <Loading what="the poll" />
          ) : poll.isError ? (
            <ErrorNote error={poll.error} what="the poll" onRetry={() => void poll.refetch()} />
          ) : (
            <>
              <h2>{poll.data.question}</h2>
              <div className="options" role="group" aria-label={poll.data.question}>
                {poll.data.options.map((option) => (
                  <button
                    key={option.id}
                    type="button"
                    className="option-button"
                    aria-pressed={choice === option.id}
                    disabled={cast.isPending}
                    onClick={() => cast.mutate(option.id)}
                  >
                    {option.label}
                    <span className="mark">{choice === option.id ? '✓ Your vote' : 'Vote'}</span>
                  </button>
                ))}
              </div>
              <p className="muted small mt" aria-live="polite">
                {cast.isPending
                  ? 'Sending your vote…'
                  : chosenLabel
                    ? `You voted for ${chosenLabel}.`
                    : 'You have not voted from this browser yet.'}
              </p>
              {cast.isError && <ErrorNote error={cast.error} />}
            </>
          )}
        </div>
        <div className="card">
          <div className="card-head">
            <h2>Results</h2>
            <StreamBadge state={stream} />
          </div>
          {!results ? (
            first.isError ? (
              <ErrorNote error={first.error} what="the results" onRetry={() => void first.refetch()} />
            ) : (
              <Loading what="the results" />
            )
          ) : results.options.length === 0 ? (
            <Empty>The poll has no options.</Empty>
          ) : (
            <div aria-live="polite" data-testid="results">
              {results.options.map((option) => {
                const percent = percentOf(option.votes, results.total);
                return (
                  <Bar
                    key={option.id}
                    label={option.label}
                    fraction={percent / 100}
                    value={`${percent.toFixed(1)} % · ${option.votes.toLocaleString('en')} ${option.votes === 1 ? 'vote' : 'votes'}`}
                    highlight={option.id === choice}
                  />
                );
              })}
              <p className="muted small" data-testid="results-total">
                {results.total === 0
                  ? 'No votes yet: be the first.'
                  : `${results.total.toLocaleString('en')} ${results.total === 1 ? 'voter' : 'voters'} counted.`}
              </p>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
