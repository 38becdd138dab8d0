import { describe, expect, it } from 'vitest';
import { frameHeaderBlock, type FrameEnvelope } from './frame-envelope.js';
import { frameMessages } from './frame-messages.js';
import { encodeWireBatch, wireMessagesOf, type WireFrame } from './nats-wire-batch.js';

const frame = (sequence: number, size: number): FrameEnvelope => ({
  streamKind: 'live', sim: '013800138000', channel: 1, codec: 'h264', mediaKind: 'video', keyFrame: sequence === 0, timestamp: sequence * 40,
  sequence, connectionId: 'c0ffee00-0000-4000-8000-000000000000', streamPath: 'live/jt1078-013800138000-1', data: Uint8Array.from({ length: size }, (_, i) => (i * 7 + sequence) & 0xff),
});

/** Reads HPUB commands back as the server would: subject, header block, payload; then what is left. */
function parseHpub(bytes: Uint8Array): { messages: Array<{ subject: string; headers: string; data: Uint8Array }>; rest: string } {
  const text = Buffer.from(bytes).toString('latin1');
  const messages: Array<{ subject: string; headers: string; data: Uint8Array }> = [];
  let o = 0;
  while (text.startsWith('HPUB ', o)) {
    const eol = text.indexOf('\r\n', o);
    const [, subject, h, total] = text.slice(o, eol).split(' ');
    const start = eol + 2;
    messages.push({ subject: subject!, headers: text.slice(start, start + Number(h)), data: bytes.subarray(start + Number(h), start + Number(total)) });
    o = start + Number(total);
    expect(text.slice(o, o + 2)).toBe('\r\n');
    o += 2;
  }
  return { messages, rest: text.slice(o) };
}

describe('wire batch', () => {
  it('writes text headers and encoded messages as HPUB commands, in order, with views that read each message back', () => {
    const small = frame(0, 300);
    const big = frame(1, 20_000);
    const chunks = frameMessages(big, 8192);
    const frames: WireFrame[] = [
      { subject: 'r.media.live.013800138000.1', headerText: frameHeaderBlock(small), data: small.data, messages: undefined },
      { subject: 'r.media.live.013800138000.1', headerText: undefined, data: big.data, messages: chunks },
    ];
    const batch = encodeWireBatch(frames);
    const { messages, rest } = parseHpub(batch.bytes);
    expect(rest).toBe('');
    expect(messages).toHaveLength(1 + chunks.length);
    expect(batch.messages).toHaveLength(messages.length);
    expect(messages[0]!.headers).toBe(frameHeaderBlock(small));
    expect([...messages[0]!.data]).toEqual([...small.data]);
    chunks.forEach((c, i) => {
      expect(messages[i + 1]!.headers).toBe(Buffer.from(c.headers).toString('latin1'));
      expect([...messages[i + 1]!.data]).toEqual([...c.data]);
    });
    batch.messages.forEach((m, i) => {
      expect(Buffer.from(m.headers).toString('latin1')).toBe(messages[i]!.headers);
      expect([...m.data]).toEqual([...messages[i]!.data]);
    });
  });

  it('ends the batch with a PING when asked', () => {
    const f = frame(2, 10);
    const { rest } = parseHpub(encodeWireBatch([{ subject: 's.media.live.1.1', headerText: frameHeaderBlock(f), data: f.data, messages: undefined }], true).bytes);
    expect(rest).toBe('PING\r\n');
  });

  it('gives the messages of a text-header frame for nc.publish', () => {
    const f = frame(3, 5);
    const [m, ...more] = wireMessagesOf({ subject: 's', headerText: frameHeaderBlock(f), data: f.data, messages: undefined });
    expect(more).toEqual([]);
    expect(Buffer.from(m!.headers).toString('latin1')).toBe(frameHeaderBlock(f));
    expect(m!.data).toBe(f.data);
  });
});
