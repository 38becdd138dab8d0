export * from './stream-path.js';
export * from './live-stream-pool.js';
export * from './hls-routes.js';
export * from './start-packager.js';
export { packagerCommand } from './packager-command.js';
export * from './packager-metrics.js';
export * from './stream-url-signer.js';
