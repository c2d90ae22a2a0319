// The embedded adapter (PGlite) is `@shipshape/db/pglite`: only the embedded mode and tests load it,
// so the service images do not carry it.
export * from './db.js';
export * from './migrations.js';
export * from './pgDb.js';
