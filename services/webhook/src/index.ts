// The public surface: what the CLI, other services, the benchmarks (bench/) and the tests use; the rest is internal.
export { startWebhookRelay, type WebhookRelayOptions } from './webhook-relay.js';
export { webhookCommand } from './webhook-command.js';
export { webhookOptions, type WebhookOptions, type RunningWebhookRelay } from './webhook-relay.js';
