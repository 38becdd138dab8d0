/** What the `jt1078` commands share: how a wrong command line is reported. */
export { UsageError } from './usage-error.js';
