/** The entry `jt1078 bench` resolves at run time: the command itself. */
export { benchCommand } from './bench-command.js';
