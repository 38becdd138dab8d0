// The public surface: what the CLI, other services, the benchmarks (bench/) and the tests use; the rest is internal.
export { IngestService, type IngestServiceDeps } from './ingest-service.js';
export { ingestCommand } from './ingest-command.js';
export { startIngest, ingestOptions, type IngestDeps, type IngestOptions, type RunningIngest } from './start-ingest.js';
