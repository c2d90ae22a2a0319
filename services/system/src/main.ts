import { runService } from '@shipshape/platform';
import { systemProcessConfigSchema } from './config.js';
import { createSystemService } from './service.js';

await runService({
  name: 'system',
  configSchema: systemProcessConfigSchema,
  connect: () => ({}),
  create: createSystemService,
});
