/**
 * The bound beside the ingest (ingest.bench.ts forks it, so it has a process to itself as the
 * ingest does): one plain nats.js client publishing messages of the sizes the ingest publishes
 * (a frame's payload plus its header block, as one payload, on `streams` media subjects) as fast
 * as it can for `seconds`: a flush round trip after every FLUSH_EVERY messages, with at most
 * FLUSHES_IN_FLIGHT of them outstanding, so it keeps the server busy without running ahead of it
 * by more than a few MB. Reports messages, bytes and its own CPU time.
 */
import { connect } from '@nats-io/transport-node';

export interface PlainPublishArgs {
  readonly url: string;
  /** `<root>.media.live`: the subjects are `<prefix>.<sim>.1`. */
  readonly subjectPrefix: string;
  readonly sims: readonly string[];
  /** Message sizes in publish order (the capture's frames), repeated. */
  readonly sizes: readonly number[];
  readonly seconds: number;
}

export interface PlainPublishReport {
  readonly messages: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

const FLUSH_EVERY = 1000;
const FLUSHES_IN_FLIGHT = 4;

const args = JSON.parse(process.argv[2] ?? '{}') as PlainPublishArgs;
const nc = await connect({ servers: args.url });
const payloads = args.sizes.map((n) => new Uint8Array(n).fill(0x5a));
const subjects = args.sims.map((sim) => `${args.subjectPrefix}.${sim}.1`);
let messages = 0;
let bytes = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = t0 + args.seconds * 1000;
const inFlight: Array<Promise<void>> = [];
while (performance.now() < end) {
  for (let i = 0; i < FLUSH_EVERY; i++, messages++) {
    const p = payloads[messages % payloads.length]!;
    nc.publish(subjects[messages % subjects.length]!, p);
    bytes += p.length;
  }
  inFlight.push(nc.flush());
  if (inFlight.length >= FLUSHES_IN_FLIGHT) await inFlight.shift();
}
await Promise.all(inFlight);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await nc.close();
const report: PlainPublishReport = { messages, bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
process.send?.(report, () => process.exit(0));
