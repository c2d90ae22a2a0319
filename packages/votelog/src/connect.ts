import { env, type Logger } from '@shipshape/platform';
import { z } from 'zod';
import { createRedisVoteLog } from './redisVoteLog.js';
import type { VoteLog } from './voteLog.js';

/** The stream the vote service appends to and the worker reads, unless `VOTE_STREAM` says otherwise. */
export const VOTE_STREAM = 'votes';
/** The worker's consumer group: every worker replica reads through it, so each vote goes to one. */
export const VOTE_GROUP = 'worker';

/** The variables of a process that reaches the vote log in Redis (vote, worker). */
export const redisEnv = {
  /** `redis://[:password@]host:6379`; the server must run with `appendonly yes`, `appendfsync always`. */
  REDIS_URL: env.url(['redis', 'rediss']),
  /** Tests and side-by-side deployments use a stream of their own. */
  VOTE_STREAM: z.string().min(1).default(VOTE_STREAM),
  /** Longest a vote waits for Redis's answer before the client gets 503. */
  REDIS_TIMEOUT_MS: env.positiveInt(2_000),
};

/** The vote log a service's `main.ts` opens from its config. */
export function connectRedisVoteLog(
  config: { REDIS_URL: string; VOTE_STREAM: string; REDIS_TIMEOUT_MS: number },
  logger: Logger,
): VoteLog {
  return createRedisVoteLog({
    url: config.REDIS_URL,
    key: config.VOTE_STREAM,
    group: VOTE_GROUP,
    logger,
    appendTimeoutMs: config.REDIS_TIMEOUT_MS,
    commandTimeoutMs: config.REDIS_TIMEOUT_MS,
  });
}
