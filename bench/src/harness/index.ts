/**
 * What every benchmark group shares: the result shape `jt1078 bench` prints and writes, and the
 * tools for measuring a service as a pod runs it (a child process, its /metrics, /proc).
 */
export type * from './bench-group.js';
export * from './process-stats.js';
export * from './service-process.js';
