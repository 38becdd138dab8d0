import { describe, expect, it } from 'vitest';
import type { TalkAudio } from '@jt1078/bus';
import { DataType, StreamDemuxer, Subpackage, type Jt1078Packet } from '@jt1078/jt1078';
import { TalkDropReason, TalkPacketizer } from './talk-packetizer.js';

const audio = (over: Partial<TalkAudio> = {}): TalkAudio => ({
  sim: '13800138000', channel: 2, codec: 'g711a', timestamp: 0, sequence: 0, sessionId: 's1', data: new Uint8Array(160).fill(0xd5), ...over,
});

function decode(chunks: Uint8Array[], revision: '2016' | '2019' = '2016'): Jt1078Packet[] {
  const out: Jt1078Packet[] = [];
  const d = new StreamDemuxer({ revision, onPacket: (p) => out.push(p) });
  for (const c of chunks) d.push(c);
  d.end();
  return out;
}

describe('TalkPacketizer', () => {
  it('makes one atomic audio packet per 160-byte piece: PT by codec, the lease SIM and channel, growing sequence', () => {
    const p = new TalkPacketizer({ sim: '13800138000', channel: 2 });
    const codecs = [['g711a', 6], ['g711u', 7], ['g722', 2]] as const;
    const bytes = codecs.flatMap(([codec], i) => p.packetize(audio({ codec, timestamp: i * 20, sequence: i }), 1000 + i * 20) as Uint8Array[]);
    const packets = decode(bytes);
    expect(packets.map((x) => x.payloadType)).toEqual(codecs.map(([, pt]) => pt));
    for (const x of packets) {
      expect(x.sim).toBe('013800138000');
      expect(x.channel).toBe(2);
      expect(x.dataType).toBe(DataType.audio);
      expect(x.subpackage).toBe(Subpackage.atomic);
      expect(x.marker).toBe(true);
      expect(x.body).toEqual(new Uint8Array(160).fill(0xd5));
    }
    expect(packets.map((x) => x.sequence)).toEqual([0, 1, 2]);
    expect(packets.map((x) => x.timestamp)).toEqual([1000, 1020, 1040]);
  });

  it('keeps a session\'s spacing, continues across sessions and never goes back', () => {
    const p = new TalkPacketizer({ sim: '1', channel: 1 });
    const ts = (a: TalkAudio, now: number) => decode(p.packetize(a, now) as Uint8Array[])[0]!.timestamp;
    expect(ts(audio({ timestamp: 0 }), 500)).toBe(500);
    expect(ts(audio({ timestamp: 20 }), 530)).toBe(520); // the browser's spacing, not the arrival jitter
    expect(ts(audio({ timestamp: 40 }), 535)).toBe(540);
    // A new talker starts its own clock at 0: anchored to now, after the last packet.
    expect(ts(audio({ sessionId: 's2', timestamp: 0 }), 541)).toBe(541);
    // Two talkers at once (a broadcast) land on one growing clock.
    expect(ts(audio({ timestamp: 41 }), 542)).toBe(542);
    // A session clock that jumped far from ours is anchored again.
    expect(ts(audio({ timestamp: 90_000 }), 600)).toBe(600);
  });

  it('refuses what is not audio of table 12, and empty audio', () => {
    const p = new TalkPacketizer({ sim: '1', channel: 1 });
    expect(p.packetize(audio({ codec: 'h264' }), 0)).toBe(TalkDropReason.unknownCodec);
    expect(p.packetize(audio({ codec: 'opus' }), 0)).toBe(TalkDropReason.unknownCodec);
    expect(p.packetize(audio({ data: new Uint8Array(0) }), 0)).toBe(TalkDropReason.empty);
    expect(p.nextSequence).toBe(0);
  });

  it('splits audio above 950 bytes into first/last subpackages (table 19)', () => {
    const p = new TalkPacketizer({ sim: '1', channel: 1 });
    const packets = decode(p.packetize(audio({ data: new Uint8Array(1200) }), 0) as Uint8Array[]);
    expect(packets.map((x) => [x.subpackage, x.body.length])).toEqual([[Subpackage.first, 950], [Subpackage.last, 250]]);
  });

  it('speaks 2019 for a 20-digit SIM and follows the device to 2019, keeping the sequence', () => {
    const long = new TalkPacketizer({ sim: '12345678901234567890', channel: 1 });
    expect(long.revision).toBe('2019');
    long.useRevision('2016'); // cannot: the SIM does not fit BCD[6]
    expect(long.revision).toBe('2019');
    expect(decode(long.packetize(audio(), 0) as Uint8Array[], '2019')[0]!.sim).toBe('12345678901234567890');

    const p = new TalkPacketizer({ sim: '13800138000', channel: 1 });
    p.packetize(audio(), 0);
    p.useRevision('2019');
    const [x] = decode(p.packetize(audio({ timestamp: 20 }), 20) as Uint8Array[], '2019');
    expect(x!.revision).toBe('2019');
    expect(x!.sim).toBe('00000000013800138000');
    expect(x!.sequence).toBe(1);
  });
});
