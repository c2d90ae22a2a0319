import { createServer, type Service, type ServiceDeps } from '@shipshape/platform';
import type { VoteLog } from '@shipshape/votelog';
import type { VoteConfig } from './config.js';
import { registerVoteRoutes } from './routes.js';

export { voteConfigSchema, voteProcessConfigSchema, type VoteConfig } from './config.js';

/** The vote log (Redis, or the embedded one) is given; whoever created it closes it, after `close()`. */
export type VoteDeps = ServiceDeps<VoteConfig, { voteLog: VoteLog }>;

/**
 * Vote: serves the poll and appends each vote to the vote log; the worker counts it later. 202 means
 * the vote is durable, so nothing accepted is lost. `/ready` answers 503 while Redis does not answer.
 */
export async function createVoteService({ config, logger, voteLog }: VoteDeps): Promise<Service> {
  const poll = { question: config.VOTE_QUESTION, options: config.VOTE_OPTIONS };
  const app = createServer({ service: 'vote', logger, config, readinessChecks: { voteLog: () => voteLog.check() } });
  registerVoteRoutes(app, poll, voteLog);
  await app.ready();

  return {
    app,
    start(port, host) {
      logger.info({ question: poll.question, options: poll.options.map((option) => option.id) }, 'serving the poll');
      return app.listen({ port, host });
    },
    // Stops taking votes and finishes those under way; the vote log stays open for whoever opened it.
    close: () => app.close(),
  };
}
