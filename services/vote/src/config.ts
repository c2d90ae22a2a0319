import { LOCAL_PORTS, voteOptionsEnv, voteQuestionEnv } from '@shipshape/contracts';
import { baseServiceConfig } from '@shipshape/platform';
import { redisEnv } from '@shipshape/votelog';
import { z } from 'zod';

/** What vote reads in every mode: the poll (the embedded mode gives it its vote log instead of Redis). */
export const voteConfigSchema = z.object({
  ...baseServiceConfig(LOCAL_PORTS.vote),
  ...voteQuestionEnv,
  ...voteOptionsEnv,
});

/** Its environment as a process of its own (`main.ts`): the settings and the Redis of the vote log. */
export const voteProcessConfigSchema = voteConfigSchema.extend(redisEnv);

export type VoteConfig = z.infer<typeof voteConfigSchema>;
