#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between a checkout and `npx jt1078`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
const code = await main(process.argv.slice(2));
// A command that failed exits now, whatever it had opened (a socket, a NATS reconnect timer):
// the reason is on stderr already, and a failed start-up must not linger holding ports.
if (code !== 0) process.exit(code);
process.exitCode = code;
