// The public surface: what the CLI, other services, the benchmarks (bench/) and the tests use; the rest is internal.
export { LiveStreamPool, type LiveStreamPoolOptions } from './live-stream-pool.js';
export { addHlsRoutes, type HlsRoutesOptions } from './hls-routes.js';
export { startPackager, type PackagerDeps, type StartedPackager } from './start-packager.js';
export { packagerCommand } from './packager-command.js';
export { createPackagerMetrics, type PackagerMetrics } from './packager-metrics.js';
export { signStreamUrl } from './stream-url-signer.js';
export { packagerOptions, type PackagerOptions, type PackagerMembership } from './start-packager.js';
