export * from './concat-bytes.js';
