/**
 * The `jt1078` command: parses the sub-command and hands over to the module that runs it.
 * Exit codes: 0 success, 1 a failure (the reason on stderr), 2 a wrong command line. A stack
 * trace is shown only with `--verbose` or LOG_LEVEL=debug; otherwise the message says it all.
 */
import { UsageError } from '@jt1078/runtime/cli';
import { COMMAND_USAGE, HELP } from './command-usage.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  // Found at run time, never imported: the bench workspace is absent from the production image.
  bench: async () => (await import('./commands/load-bench-command.js')).loadBenchCommand(),
  inspect: async () => (await import('./commands/inspect.js')).inspectCommand,
  package: async () => (await import('./commands/package.js')).packageCommand,
  simulate: async () => (await import('@jt1078/svc-simulator')).simulateCommand,
  ingest: async () => (await import('@jt1078/svc-ingest')).ingestCommand,
  start: async () => (await import('./commands/start.js')).startCommand,
  webhook: async () => (await import('@jt1078/svc-webhook')).webhookCommand,
  packager: async () => (await import('@jt1078/svc-packager')).packagerCommand,
  intercom: async () => (await import('@jt1078/svc-intercom')).intercomCommand,
};

/** node:util parseArgs' errors about the command line (its hint about '--' confuses more than it helps). */
const PARSE_ERRORS = new Set(['ERR_PARSE_ARGS_UNKNOWN_OPTION', 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL']);

function usageOf(name: string): string {
  return COMMAND_USAGE[name] ?? HELP;
}

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  if (verbose) process.env['LOG_LEVEL'] ??= 'debug';
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    process.stdout.write(topic && COMMAND_USAGE[topic] ? COMMAND_USAGE[topic] : HELP);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`jt1078: unknown command '${name}'. Run 'jt1078 --help' for the list.\n`);
    return 2;
  }
  const dashDash = rest.indexOf('--');
  if (rest.slice(0, dashDash < 0 ? undefined : dashDash).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(usageOf(name));
    return 0;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    const e = err as Error & { code?: string };
    const debug = verbose || process.env['LOG_LEVEL'] === 'debug' || process.env['LOG_LEVEL'] === 'trace';
    if (e instanceof UsageError || PARSE_ERRORS.has(e.code ?? '')) {
      const message = (e.message ?? String(err)).replace(/\. To specify a positional argument starting with a '-'.*$/s, '.');
      process.stderr.write(`jt1078 ${name}: ${message}\n${usageOf(name)}`);
      return 2;
    }
    process.stderr.write(`jt1078 ${name}: ${debug ? (e.stack ?? e.message) : (e.message ?? String(err))}\n`);
    return 1;
  }
}
