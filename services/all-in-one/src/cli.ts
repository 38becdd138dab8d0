/** The `jt1078` command: parses the sub-command and hands over to the module that runs it. */

const HELP = `jt1078 — JT/T 1078 vehicle-video cluster

Usage: jt1078 <command> [options]

Commands:
  start [--config FILE] [--print-config]
                                     every service in one process (in-process bus and registry
                                     unless NATS_URL/REDIS_URL or cluster.nats/redis are set)
  inspect FILE [--json]              decode a capture (binary or hex text) and report what it holds
  package FILE --out DIR             a capture to an fMP4 HLS directory, with the packager's muxer
  simulate --file F --addr HOST:PORT [--loop] [--speed X] [--sim S] [--channel C] [--devices N] [--udp]
                                     replay a capture as one or many devices, paced by its timestamps
  ingest [--config FILE]             the ingest service, as a pod runs it (needs NATS_URL and REDIS_URL)
  packager [--config FILE]           the LL-HLS origin, as a pod runs it (needs NATS_URL and REDIS_URL)
  webhook [--config FILE]            the callback relay, as a pod runs it (needs NATS_URL)
  intercom [--config FILE]           audio ports, port leases and talk, as a pod runs it (needs NATS_URL and REDIS_URL)
  bench [--json FILE] [--only G]     run the benchmark suite (--list shows the groups, --quick a short run)
  help                               this text
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  bench: async () => (await import('./commands/bench.js')).benchCommand,
  inspect: async () => (await import('./commands/inspect.js')).inspectCommand,
  package: async () => (await import('./commands/package.js')).packageCommand,
  simulate: async () => (await import('@jt1078/svc-simulator')).simulateCommand,
  ingest: async () => (await import('@jt1078/svc-ingest')).ingestCommand,
  start: async () => (await import('./commands/start.js')).startCommand,
  webhook: async () => (await import('@jt1078/svc-webhook')).webhookCommand,
  packager: async () => (await import('@jt1078/svc-packager')).packagerCommand,
  intercom: async () => (await import('@jt1078/svc-intercom')).intercomCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`jt1078: unknown command '${name}'. Run 'jt1078 --help' for the list.\n`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`jt1078 ${name}: ${e.message}\nRun 'jt1078 --help' for usage.\n`);
      return 2;
    }
    process.stderr.write(`jt1078 ${name}: ${e.message}\n`);
    return 1;
  }
}
