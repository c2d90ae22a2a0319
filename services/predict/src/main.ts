import { runService } from '@shipshape/platform';
import { predictProcessConfigSchema } from './config.js';
import { createPredictService } from './service.js';

await runService({
  name: 'predict',
  configSchema: predictProcessConfigSchema,
  connect: () => ({}),
  create: createPredictService,
});
