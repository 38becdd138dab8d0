/** `jt1078 inspect FILE [--json]`: decodes a capture and reports what it holds. */
import { parseArgs } from 'node:util';
import { formatCaptureReport, inspectCapture } from '@jt1078/jt1078';
import { describeVideo } from '@jt1078/media/video';
import { UsageError } from '@jt1078/runtime/cli';
import { CaptureFileUnreadable, noPacketReason, readCaptureFile } from './read-capture-file.js';

export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  const file = positionals[0];
  if (!file) throw new UsageError('give the capture FILE to inspect');
  if (positionals.length > 1) throw new UsageError(`one capture at a time; '${positionals[1]}' is extra`);
  let bytes: Uint8Array;
  try {
    bytes = readCaptureFile(file);
  } catch (err) {
    if (!(err instanceof CaptureFileUnreadable)) throw err;
    process.stderr.write(`jt1078 inspect: ${err.message}\n`);
    return 2;
  }
  const report = inspectCapture(bytes, { describeVideo });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatCaptureReport(report, file));
  if (report.packets === 0) {
    // The report is printed (its faults say what was skipped), but a script must see the failure.
    process.stderr.write(`jt1078 inspect: ${noPacketReason(file, bytes.length, report.skippedBytes)}\n`);
    return 1;
  }
  return 0;
}
