export * from './callback-poster.js';
export * from './retry-schedule.js';
export * from './webhook-dispatcher.js';
export * from './webhook-signer.js';
export * from './webhook-relay.js';
export { webhookCommand } from './webhook-command.js';
