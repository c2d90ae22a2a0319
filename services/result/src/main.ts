import { connectPostgres } from '@shipshape/db';
import { runService } from '@shipshape/platform';
import { resultProcessConfigSchema } from './config.js';
import { createResultService } from './service.js';

await runService({
  name: 'result',
  configSchema: resultProcessConfigSchema,
  connect: (config) => ({ db: connectPostgres(config, 'result', 'votes') }),
  create: createResultService,
});
