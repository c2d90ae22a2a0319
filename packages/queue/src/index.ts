export * from './messageQueue.js';
