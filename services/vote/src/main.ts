import { runService } from '@shipshape/platform';
import { connectRedisVoteLog } from '@shipshape/votelog';
import { voteProcessConfigSchema } from './config.js';
import { createVoteService } from './service.js';

await runService({
  name: 'vote',
  configSchema: voteProcessConfigSchema,
  connect: (config, logger) => ({ voteLog: connectRedisVoteLog(config, logger) }),
  create: createVoteService,
});
