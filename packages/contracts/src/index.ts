export * from './errors.js';
export * from './movies.js';
export * from './orders.js';
export * from './services.js';
export * from './votes.js';
