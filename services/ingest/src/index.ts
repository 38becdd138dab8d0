export * from './ingest-service.js';
export * from './ingest-server.js';
export * from './ingest-ports.js';
export * from './stream-event-id.js';
export { ingestCommand } from './ingest-command.js';
