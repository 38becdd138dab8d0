/**
 * "This stream is being watched" (`<root>.viewers.<kind>.<sim>.<channel>`). A packager serving a
 * stream publishes one every few seconds while it has viewers; the ingest that holds the device
 * closes a stream that had viewers and then had none for `overtime_second` (m7s-jt1078's rule).
 * JSON payload, core NATS: a missed notice only delays the decision by one period.
 */
import { MalformedEnvelope } from './frame-envelope.js';
import { STREAM_KINDS, checkChannel, checkSim, type StreamKind } from './subjects.js';

export interface ViewerNotice {
  readonly streamKind: StreamKind;
  readonly sim: string;
  readonly channel: number;
  readonly streamPath: string;
  /** Viewers this packager serves now (players that requested within the last period). */
  readonly viewers: number;
  /** Who says so (the packager pod). */
  readonly from: string;
  /** ms since the epoch. */
  readonly at: number;
}

const utf8 = new TextEncoder();

export function encodeViewerNotice(n: ViewerNotice): Uint8Array {
  return utf8.encode(JSON.stringify(n));
}

export function decodeViewerNotice(data: Uint8Array): ViewerNotice {
  let o: Partial<Record<keyof ViewerNotice, unknown>>;
  try {
    o = JSON.parse(new TextDecoder().decode(data)) as typeof o;
  } catch (err) {
    throw new MalformedEnvelope(`viewer notice is not JSON: ${(err as Error).message}`);
  }
  if (
    typeof o !== 'object' || o === null ||
    !STREAM_KINDS.includes(o.streamKind as StreamKind) ||
    typeof o.sim !== 'string' || typeof o.channel !== 'number' ||
    typeof o.streamPath !== 'string' || typeof o.viewers !== 'number' ||
    typeof o.from !== 'string' || typeof o.at !== 'number'
  ) {
    throw new MalformedEnvelope('viewer notice lacks streamKind, sim, channel, streamPath, viewers, from or at');
  }
  try {
    checkSim(o.sim);
    checkChannel(o.channel);
  } catch (err) {
    throw new MalformedEnvelope(`viewer notice: ${(err as Error).message}`);
  }
  return o as ViewerNotice;
}
