/**
 * A turn's frames as the bytes nats.js would write for them, built in one buffer: `HPUB <subject>
 * <header bytes> <total bytes>\r\n<headers><payload>\r\n` per message (the NATS client protocol,
 * docs.nats.io "HPUB"), handed to the client's protocol handler as one command. nats.js' own
 * publish encodes each message's protocol line with a TextEncoder, pushes four buffers and copies
 * them again into one when it flushes; in the ingest's profile at 200 devices that was a quarter
 * of the CPU spent per frame. The handler (`protocol.sendCommand`) is nats.js internals, like the
 * unsent-bytes probe: looked up once at connect, and without it frames go through nc.publish.
 * nats.js' own message counters (nc.stats()) do not see what goes this way; the bus counts it.
 *
 * A frame that goes as one message brings its header block as text of one-byte characters,
 * written straight into the batch (a UTF-8 encode into a Buffer of its own per frame was a
 * twentieth of the ingest's CPU, and garbage). The batch is never written to again once built,
 * so the replay window keeps its messages as views into it (BatchMessage) instead of copies.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { WireMessage } from './frame-messages.js';

export interface WireFrame {
  readonly subject: string;
  /**
   * The frame as one message: its header block (frameHeaderBlock), every character below 0x80,
   * and its payload `data`. Undefined when `messages` carries the frame instead.
   */
  readonly headerText: string | undefined;
  readonly data: Uint8Array;
  /** The encoded messages carrying the frame (its chunks, or headers that are not ASCII). */
  readonly messages: readonly WireMessage[] | undefined;
}

/**
 * One message of a batch, read from the batch's bytes on demand: the replay window keeps these
 * (one small object per frame, no copy); the batch is not written to after it is built.
 */
export class BatchMessage implements WireMessage {
  constructor(
    readonly batch: Uint8Array,
    /** Where the message's header block starts in `batch`. */
    readonly start: number,
    readonly headerLength: number,
    readonly dataLength: number,
  ) {}

  get headers(): Uint8Array {
    return this.batch.subarray(this.start, this.start + this.headerLength);
  }

  get data(): Uint8Array {
    const from = this.start + this.headerLength;
    return this.batch.subarray(from, from + this.dataLength);
  }
}

export interface WireBatch {
  /** The HPUB commands, in order. */
  readonly bytes: Uint8Array;
  /** Every message of the batch in order (a frame's chunks one after another), as views into `bytes`. */
  readonly messages: readonly BatchMessage[];
}

/** A PING nats.js is waiting for the PONG of (its ProtocolHandler's `pongs`, answered in order). */
interface AwaitedPong {
  resolve(): void;
  reject(err: unknown): void;
}

interface ProtocolInternals {
  readonly protocol?: { sendCommand?: (cmd: Uint8Array) => void; readonly pongs?: AwaitedPong[] };
}

export interface RawCommandSender {
  /** Appends HPUB commands to the client's outbound buffer (written at its next flush). */
  send(bytes: Uint8Array): void;
  /**
   * The same for a batch that ends with a PING (encodeWireBatch(…, true)): resolves at the
   * server's PONG, as nc.flush() does. nc.flush() appends its PING after the batch, and nats.js
   * then copies the whole batch into a new buffer to write the two together.
   */
  sendWithPing(bytes: Uint8Array): Promise<void>;
}

/** The client's raw command sender, or undefined when this nats.js does not have one (publish is used then). */
export function rawCommandSender(nc: NatsConnection): RawCommandSender | undefined {
  const protocol = (nc as unknown as ProtocolInternals).protocol;
  if (typeof protocol?.sendCommand !== 'function' || !Array.isArray(protocol.pongs)) return undefined;
  return {
    send: (bytes) => protocol.sendCommand!(bytes),
    // `pongs` is replaced at every reconnect (and the old one's entries rejected): read it each time.
    sendWithPing: (bytes) => new Promise<void>((resolve, reject) => {
      protocol.pongs!.push({ resolve, reject });
      protocol.sendCommand!(bytes);
    }),
  };
}

/** The messages a frame is sent as, for a path that needs them encoded (nc.publish). */
export function wireMessagesOf(f: WireFrame): readonly WireMessage[] {
  return f.messages ?? [{ headers: Buffer.from(f.headerText!, 'latin1'), data: f.data }];
}

const PING = 'PING\r\n';

/** The HPUB commands for `frames`, in order, in one buffer; with `ping`, a PING after them. */
export function encodeWireBatch(frames: readonly WireFrame[], ping = false): WireBatch {
  const lines: string[] = [];
  let total = ping ? PING.length : 0;
  for (const f of frames) {
    if (f.headerText !== undefined) {
      const h = f.headerText.length;
      // The protocol line and the header block go in as one one-byte string.
      const text = `HPUB ${f.subject} ${h} ${h + f.data.length}\r\n${f.headerText}`;
      lines.push(text);
      // Subjects are ASCII (validated tokens), and so is this header block: a byte per character.
      total += text.length + f.data.length + 2;
      continue;
    }
    for (const m of f.messages!) {
      const line = `HPUB ${f.subject} ${m.headers.length} ${m.headers.length + m.data.length}\r\n`;
      lines.push(line);
      total += line.length + m.headers.length + m.data.length + 2;
    }
  }
  const out = Buffer.allocUnsafe(total);
  const messages: BatchMessage[] = [];
  let o = 0;
  let i = 0;
  for (const f of frames) {
    if (f.headerText !== undefined) {
      const text = lines[i++]!;
      o += out.write(text, o, 'latin1');
      const start = o - f.headerText.length;
      out.set(f.data, o);
      o += f.data.length;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      messages.push(new BatchMessage(out, start, f.headerText.length, f.data.length));
      continue;
    }
    for (const m of f.messages!) {
      o += out.write(lines[i++]!, o, 'latin1');
      const start = o;
      out.set(m.headers, o);
      o += m.headers.length;
      out.set(m.data, o);
      o += m.data.length;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      messages.push(new BatchMessage(out, start, m.headers.length, m.data.length));
    }
  }
  if (ping) out.write(PING, o, 'latin1');
  return { bytes: out, messages };
}
