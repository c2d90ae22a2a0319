export * from './errors.js';
export * from './movies.js';
export * from './orders.js';
export * from './predict.js';
export * from './services.js';
export * from './status.js';
export * from './system.js';
export * from './votes.js';
