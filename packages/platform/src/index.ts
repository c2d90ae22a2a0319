export * from './config.js';
export * from './errors.js';
export * from './logger.js';
export * from './metrics.js';
export * from './server.js';
export * from './shutdown.js';
export * from './timeouts.js';
