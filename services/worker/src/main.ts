import { connectPostgres } from '@shipshape/db';
import { runService } from '@shipshape/platform';
import { connectRedisVoteLog } from '@shipshape/votelog';
import { workerProcessConfigSchema } from './config.js';
import { createWorkerService } from './service.js';

await runService({
  name: 'worker',
  configSchema: workerProcessConfigSchema,
  connect: (config, logger) => ({
    db: connectPostgres(config, 'worker', 'votes'),
    voteLog: connectRedisVoteLog(config, logger),
  }),
  create: createWorkerService,
});
