#!/usr/bin/env node
// The image's `jt1078` (deploy/Dockerfile puts it at services/all-in-one/bin/jt1078.js): the CLI
// compiled to JavaScript in the build stage, no TypeScript loader at run time.
const { main } = await import('../src/cli.js');
process.exitCode = await main(process.argv.slice(2));
