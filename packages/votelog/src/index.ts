export * from './voteLog.js';
export { createRedisVoteLog, type RedisVoteLogOptions } from './redisVoteLog.js';
export { createEmbeddedVoteLog, type EmbeddedVoteLogOptions } from './embeddedVoteLog.js';
export { voteLogMigrations } from './migrations.js';
export { connectRedisVoteLog, redisEnv, VOTE_GROUP, VOTE_STREAM } from './connect.js';
