export * from './processes.js';
export * from './realServers.js';
