/** The `jt1078` command: parses the sub-command and hands over to the module that runs it. */

const HELP = `jt1078 — JT/T 1078 vehicle-video cluster

Usage: jt1078 <command> [options]

Commands:
  inspect FILE [--json]         decode a capture (binary or hex text) and report what it holds
  help                          this text
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`jt1078: unknown command '${command}'. Run 'jt1078 --help' for the list.\n`);
      void rest;
      return 2;
  }
}
