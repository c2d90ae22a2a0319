export * from './voteLog.js';
export { createRedisVoteLog, type RedisVoteLogOptions } from './redisVoteLog.js';
export { createEmbeddedVoteLog, type EmbeddedVoteLogOptions } from './embeddedVoteLog.js';
export { voteLogMigrations } from './migrations.js';
