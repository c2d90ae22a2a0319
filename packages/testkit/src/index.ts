export * from './processes.js';
export * from './realServers.js';
export * from './network.js';
export * from './databases.js';
export * from './redisServer.js';
