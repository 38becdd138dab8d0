export * from './capture-replay.js';
export * from './simulated-device.js';
export * from './device-fleet.js';
export * from './send-stamp.js';
export { simulateCommand, parseHostPort, SIMULATE_USAGE } from './simulate-command.js';
