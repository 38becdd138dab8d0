/**
 * Human-readable log lines for a terminal: pino's JSON line in, `12:04:05 INFO  ingest: ingest
 * listening kind=live addr=0.0.0.0:12051` out, written synchronously (so nothing is lost when a
 * command exits). An error shows its message; its stack only at debug level (`--verbose`).
 */

const LEVELS: Readonly<Record<number, { readonly name: string; readonly color: string }>> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};

/** pino's own fields, not shown as key=value. */
const OWN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'service', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

export interface PrettyOptions {
  readonly color: boolean;
  /** Show error stacks (debug level). */
  readonly stacks: boolean;
}

/** One JSON log line as text (without the newline); the line itself when it is not JSON. */
export function formatLogLine(line: string, opts: PrettyOptions): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const level = LEVELS[Number(o['level'])] ?? { name: String(o['level']).padEnd(5), color: '0' };
  const time = new Date(Number(o['time']) || Date.now()).toTimeString().slice(0, 8);
  const who = (o['service'] as string | undefined) ?? (o['name'] as string | undefined);
  const paint = (code: string, text: string) => (opts.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const fields: string[] = [];
  let stack = '';
  for (const [k, v] of Object.entries(o)) {
    if (OWN.has(k)) continue;
    if (k === 'err' && v && typeof v === 'object') {
      const e = v as { message?: string; type?: string; stack?: string };
      fields.push(`err=${value(e.message ?? e.type ?? '')}`);
      if (opts.stacks && e.stack) stack = `\n${paint('90', e.stack)}`;
      continue;
    }
    fields.push(`${paint('90', `${k}=`)}${value(v)}`);
  }
  return `${paint('90', time)} ${paint(level.color, level.name)} ${who ? `${who}: ` : ''}${String(o['msg'] ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}${stack}`;
}

/** A pino destination writing formatted lines to `out`. */
export function prettyDestination(out: NodeJS.WritableStream, opts: PrettyOptions): { write(line: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${formatLogLine(line, opts)}\n`);
    },
  };
}
