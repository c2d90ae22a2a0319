export * from './db.js';
export * from './migrations.js';
export * from './pgDb.js';
export * from './pgliteDb.js';
