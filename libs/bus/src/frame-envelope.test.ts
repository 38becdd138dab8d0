import { MsgHdrsImpl, headers as natsHeaders } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, type EventEnvelope } from './event-envelope.js';
import { FrameHeader, MalformedEnvelope, UnknownCodec, frameFromMessage, frameHeaderBlock, frameHeaders, parseHeaderBlock, type FrameEnvelope } from './frame-envelope.js';
import { talkFromMessage, talkHeaders, type TalkAudio } from './talk-envelope.js';
import { decodeViewerNotice, encodeViewerNotice, type ViewerNotice } from './viewer-notice.js';

const frame: FrameEnvelope = {
  streamKind: 'playback', sim: '013800138000', channel: 2, codec: 'g711a', mediaKind: 'audio', keyFrame: false, timestamp: 123_456,
  sequence: 42, connectionId: 'pod-a/7', streamPath: 'live/jt1079-013800138000-2', data: Uint8Array.of(1, 2, 3),
};
const SUBJECT = 'x.y.media.playback.013800138000.2';

describe('frame envelope', () => {
  it('round-trips through subject + headers + payload', () => {
    expect(frameFromMessage(SUBJECT, frameHeaders(frame), frame.data)).toEqual(frame);
    const opening = { ...frame, segment: 1_764_582_000_123, discontinuity: 2 };
    expect(frameHeaders(opening).get(FrameHeader.segment)).toBe('1764582000123');
    expect(frameHeaders(opening).get(FrameHeader.discontinuity)).toBe('2');
    expect(frameFromMessage(SUBJECT, frameHeaders(opening), frame.data)).toEqual(opening);
    expect(frameHeaders(frame).has(FrameHeader.segment)).toBe(false);
  });

  it('writes its header block as one string, byte for byte what nats.js writes for the same headers', () => {
    const opening = { ...frame, keyFrame: true, segment: 1_764_582_000_123 };
    expect(frameHeaderBlock(opening)).toBe(
      'NATS/1.0\r\nJt1078-Codec: g711a\r\nJt1078-Media: audio\r\nJt1078-Key: 1\r\nJt1078-Ts: 123456\r\nJt1078-Seq: 42\r\n' +
        'Jt1078-Conn: pod-a/7\r\nJt1078-Stream: live/jt1079-013800138000-2\r\nNats-Msg-Id: pod-a/7-013800138000-2-42\r\n' +
        'Jt1078-Segment: 1764582000123\r\n\r\n',
    );
    // nats.js' own MsgHdrs, filled the way the bus used to fill it, encodes to the same bytes.
    const padded = { ...frame, connectionId: ' pod-a/7', streamPath: `${frame.streamPath} ` };
    for (const f of [frame, opening, padded]) {
      for (const chunk of [undefined, { index: 2, count: 3 }]) {
        const h = natsHeaders() as MsgHdrsImpl;
        for (const [k, v] of parseHeaderBlock(frameHeaderBlock(f, chunk))) h.set(k, v);
        expect(frameHeaderBlock(f, chunk)).toBe(new TextDecoder().decode(h.encode()));
      }
    }
    expect(frameHeaders(padded).get(FrameHeader.stream)).toBe(frame.streamPath);
    const piece = frameHeaders(frame, { index: 2, count: 3 });
    expect([piece.get(FrameHeader.chunk), piece.get(FrameHeader.msgId)]).toEqual(['2/3', 'pod-a/7-013800138000-2-42-2']);
    expect(MsgHdrsImpl.decode(new TextEncoder().encode(frameHeaderBlock(opening))).get(FrameHeader.segment)).toBe('1764582000123');
  });

  it('refuses what it cannot have written: missing or non-integer headers, a foreign subject, a bad SIM', () => {
    const h = frameHeaders(frame);
    const without = (name: string) => new Map([...h].filter(([k]) => k !== name));
    expect(() => frameFromMessage(SUBJECT, without(FrameHeader.codec), frame.data)).toThrow(MalformedEnvelope);
    for (const ts of ['-1', '1.5', '', '1e3', '99999999999999999999']) {
      expect(() => frameFromMessage(SUBJECT, new Map(h).set(FrameHeader.timestamp, ts), frame.data)).toThrow(MalformedEnvelope);
    }
    expect(() => frameFromMessage(SUBJECT, new Map(h).set(FrameHeader.media, 'data'), frame.data)).toThrow(MalformedEnvelope);
    expect(() => frameFromMessage('x.events.playback.013800138000.2', h, frame.data)).toThrow(MalformedEnvelope);
    expect(() => frameFromMessage('x.media.playback.0138x.2', h, frame.data)).toThrow(MalformedEnvelope);
    expect(() => frameFromMessage('x.media.playback.0138.256', h, frame.data)).toThrow(MalformedEnvelope);
  });

  it('reads the codec as one of the names DESIGN.md lists, and refuses any other as UnknownCodec', () => {
    const h = frameHeaders(frame);
    for (const codec of ['h264', 'h265', 'avs', 'svac', 'g711a', 'g711u', 'g722', 'g726', 'adpcm', 'aac', 'mp3'] as const) {
      expect(frameFromMessage(SUBJECT, new Map(h).set(FrameHeader.codec, codec), frame.data).codec).toBe(codec);
    }
    for (const codec of ['opus', 'H264', '', 'g711a ', 'pcm']) {
      const err = (() => {
        try {
          frameFromMessage(SUBJECT, new Map(h).set(FrameHeader.codec, codec), frame.data);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(UnknownCodec);
      expect(err).toMatchObject({ kind: 'unknown-codec', codec, subject: SUBJECT });
    }
  });

  it('refuses to write a fractional timestamp or a header value with a line break', () => {
    expect(() => frameHeaders({ ...frame, timestamp: 1.5 })).toThrow(MalformedEnvelope);
    expect(() => frameHeaders({ ...frame, sequence: -1 })).toThrow(MalformedEnvelope);
    expect(() => frameHeaders({ ...frame, streamPath: 'a\r\nNats-Msg-Id: x' })).toThrow(MalformedEnvelope);
  });
});

describe('event envelope', () => {
  const ev: EventEnvelope = {
    id: 'ev-1', type: 'audio', action: 'leave', streamKey: '12022', occurredAt: 1_752_404_295_000,
    body: { port: 12022, address: '124.221.30.46:45852', startTime: '2025-05-30 14:09:08', endTime: '2025-05-30 14:10:08', err: 'over time 47.243s' },
  };

  it('round-trips the exact callback body', () => {
    expect(decodeEvent(encodeEvent(ev))).toEqual(ev);
  });

  it('refuses payloads that are not events', () => {
    for (const bad of ['nope', '[]', 'null', JSON.stringify({ ...ev, type: 'video' }), JSON.stringify({ ...ev, id: '' }), JSON.stringify({ ...ev, body: [] })]) {
      expect(() => decodeEvent(bad)).toThrow(MalformedEnvelope);
    }
  });
});

describe('talk audio and viewer notices', () => {
  it('round-trip talk audio through its subject and headers', () => {
    const a: TalkAudio = { sim: '013800138000', channel: 1, codec: 'g711a', timestamp: 20, sequence: 1, sessionId: 's-1', data: Uint8Array.of(0xd5, 0x55) };
    expect(talkFromMessage('jt1078.talk.down.013800138000.1', talkHeaders(a), a.data)).toEqual(a);
    expect(() => talkFromMessage('jt1078.media.down.013800138000.1', talkHeaders(a), a.data)).toThrow(MalformedEnvelope);
  });

  it('round-trip a viewer notice and refuse one without its fields', () => {
    const n: ViewerNotice = { streamKind: 'live', sim: '013800138000', channel: 1, streamPath: 'live/jt1078-013800138000-1', viewers: 2, from: 'packager-1', at: 5 };
    expect(decodeViewerNotice(encodeViewerNotice(n))).toEqual(n);
    expect(() => decodeViewerNotice(new TextEncoder().encode(JSON.stringify({ ...n, viewers: '2' })))).toThrow(MalformedEnvelope);
  });
});
