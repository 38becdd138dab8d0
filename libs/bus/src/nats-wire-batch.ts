/**
 * A turn's frames as the bytes nats.js would write for them, built in one buffer: `HPUB <subject>
 * <header bytes> <total bytes>\r\n<headers><payload>\r\n` per message (the NATS client protocol,
 * docs.nats.io "HPUB"), handed to the client's protocol handler as one command. nats.js' own
 * publish encodes each message's protocol line with a TextEncoder, pushes four buffers and copies
 * them again into one when it flushes; in the ingest's profile at 200 devices that was a quarter
 * of the CPU spent per frame. The handler (`protocol.sendCommand`) is nats.js internals, like the
 * unsent-bytes probe: looked up once at connect, and without it frames go through nc.publish.
 * nats.js' own message counters (nc.stats()) do not see what goes this way; the bus counts it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { WireMessage } from './frame-messages.js';

export interface WireFrame {
  readonly subject: string;
  readonly messages: readonly WireMessage[];
}

interface ProtocolInternals {
  readonly protocol?: { sendCommand?: (cmd: Uint8Array) => void };
}

/** The client's raw command sender, or undefined when this nats.js does not have one (publish is used then). */
export function rawCommandSender(nc: NatsConnection): ((bytes: Uint8Array) => void) | undefined {
  const protocol = (nc as unknown as ProtocolInternals).protocol;
  if (typeof protocol?.sendCommand !== 'function') return undefined;
  return (bytes) => protocol.sendCommand!(bytes);
}

/** The HPUB commands for `frames`, in order, in one buffer. */
export function encodeWireBatch(frames: readonly WireFrame[]): Uint8Array {
  const lines: string[] = [];
  let total = 0;
  for (const f of frames) {
    for (const m of f.messages) {
      const line = `HPUB ${f.subject} ${m.headers.length} ${m.headers.length + m.data.length}\r\n`;
      lines.push(line);
      // Subjects are ASCII (validated tokens): one byte per character.
      total += line.length + m.headers.length + m.data.length + 2;
    }
  }
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  let i = 0;
  for (const f of frames) {
    for (const m of f.messages) {
      o += out.write(lines[i++]!, o, 'latin1');
      out.set(m.headers, o);
      o += m.headers.length;
      out.set(m.data, o);
      o += m.data.length;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
  }
  return out;
}
