export * from './capture-replay.js';
export * from './simulated-device.js';
export { simulateCommand, parseHostPort, SIMULATE_USAGE } from './simulate-command.js';
