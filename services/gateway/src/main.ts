import { runService } from '@shipshape/platform';
import { connectAmqp } from '@shipshape/queue';
import { gatewayProcessConfigSchema } from './config.js';
import { createGatewayService } from './service.js';

await runService({
  name: 'gateway',
  configSchema: gatewayProcessConfigSchema,
  connect: (config, logger) => ({ queue: connectAmqp(config, logger) }),
  create: createGatewayService,
});
