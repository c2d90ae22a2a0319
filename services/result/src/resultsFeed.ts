import type { Poll, Results } from '@shipshape/contracts';
import type { Db, Listener } from '@shipshape/db';
import type { Logger } from '@shipshape/platform';
import { VOTES_CHANGED_CHANNEL, type VotesStore } from '@shipshape/votestore';

/** The counts in the poll's order; `total` counts the voters of the options the poll has. */
export function resultsOf(poll: Poll, counts: ReadonlyMap<string, number>): Results {
  const options = poll.options.map((option) => ({ ...option, votes: counts.get(option.id) ?? 0 }));
  return { question: poll.question, total: options.reduce((sum, option) => sum + option.votes, 0), options };
}

export interface ResultsFeed {
  /** The results as last read. */
  current(): Results;
  /** Calls `onResults` after every change; the returned function stops it. */
  subscribe(onResults: (results: Results) => void): () => void;
  readonly subscribers: number;
  close(): Promise<void>;
}

const RETRY_READ_MS = 1_000;

/**
 * The results, read once when the worker's commit notifies (not per client, not on a timer) and
 * handed to every subscriber. Notifications that come while a read is under way make one more read.
 */
export async function startResultsFeed(deps: {
  db: Db;
  votes: VotesStore;
  poll: Poll;
  logger: Logger;
}): Promise<ResultsFeed> {
  const { db, votes, poll, logger } = deps;
  const subscribers = new Set<(results: Results) => void>();
  let latest = resultsOf(poll, await votes.counts());
  let latestText = JSON.stringify(latest);
  let reading = false;
  let again = false;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  async function refresh(): Promise<void> {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        const next = resultsOf(poll, await votes.counts());
        const text = JSON.stringify(next);
        if (text === latestText || closed) continue;
        latest = next;
        latestText = text;
        for (const subscriber of subscribers) subscriber(next);
      } while (again && !closed);
    } catch (error) {
      // The change is not lost: the read is tried again until it succeeds.
      logger.warn({ err: error }, 'could not read the results; trying again');
      clearTimeout(retry);
      if (!closed) retry = setTimeout(() => void refresh(), RETRY_READ_MS);
    } finally {
      reading = false;
    }
  }

  const listener: Listener = await db.listen(VOTES_CHANGED_CHANNEL, () => void refresh());
  // A vote counted between the first read and LISTEN would otherwise wait for the next one.
  await refresh();

  return {
    current: () => latest,
    subscribe(onResults) {
      subscribers.add(onResults);
      return () => subscribers.delete(onResults);
    },
    get subscribers() {
      return subscribers.size;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      subscribers.clear();
      await listener.close();
    },
  };
}
