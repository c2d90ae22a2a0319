import { connectPostgres } from '@shipshape/db';
import { runService } from '@shipshape/platform';
import { connectAmqp } from '@shipshape/queue';
import { billingProcessConfigSchema } from './config.js';
import { createBillingService } from './service.js';

await runService({
  name: 'billing',
  configSchema: billingProcessConfigSchema,
  connect: (config, logger) => ({
    db: connectPostgres(config, 'billing', 'orders'),
    queue: connectAmqp(config, logger),
  }),
  create: createBillingService,
});
