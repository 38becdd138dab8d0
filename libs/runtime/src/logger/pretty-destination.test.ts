import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { formatLogLine, prettyDestination } from './pretty-destination.js';

/** What a real pino logger writes through the destination. */
function capture(level: string, stacks: boolean, log: (l: pino.Logger) => void): string {
  let text = '';
  const out = new Writable({ write: (chunk: Buffer, _e, done) => { text += chunk.toString(); done(); } });
  log(pino({ name: 'jt1078', level }, prettyDestination(out, { color: false, stacks })));
  return text;
}

describe('pretty log lines', () => {
  it('time, level, who, message, then the fields as key=value', () => {
    const text = capture('info', false, (l) => l.child({ service: 'ingest' }).info({ kind: 'live', addr: '0.0.0.0:12051', sessions: 2 }, 'ingest listening'));
    expect(text).toMatch(/^\d\d:\d\d:\d\d INFO {2}ingest: ingest listening kind=live addr=0\.0\.0\.0:12051 sessions=2\n$/);
  });

  it('an error shows its message, its stack only at debug level', () => {
    const err = new Error('port taken');
    const quiet = capture('info', false, (l) => l.error({ err }, 'cannot listen'));
    expect(quiet).toMatch(/ERROR jt1078: cannot listen err="port taken"\n$/);
    expect(quiet).not.toContain(' at ');
    const verbose = capture('debug', true, (l) => l.error({ err }, 'cannot listen'));
    expect(verbose).toMatch(/err="port taken"\nError: port taken\n\s+at /);
  });

  it('leaves a line that is not JSON as it is', () => {
    expect(formatLogLine('plain text\n', { color: false, stacks: false })).toBe('plain text');
  });
});
