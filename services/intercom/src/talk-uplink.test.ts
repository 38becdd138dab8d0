import { describe, expect, it } from 'vitest';
import type { FrameEnvelope } from '@jt1078/bus';
import { DataType, PacketEncoder, concatBytes, type StreamFault } from '@jt1078/jt1078';
import { TalkUplink, UplinkDropReason } from './talk-uplink.js';

function uplink() {
  const frames: FrameEnvelope[] = [];
  const faults: StreamFault[] = [];
  const drops: string[] = [];
  const mismatches: Array<{ sim: string; channel: number }> = [];
  const u = new TalkUplink({
    target: { sim: '13800138000', channel: 1 },
    connectionId: 'conn-1',
    streamPath: 'talk/13800138000-1',
    onFrame: (f) => frames.push(f),
    onFault: (f) => faults.push(f),
    onDrop: (r) => drops.push(r),
    onMismatch: (m) => mismatches.push(m),
  });
  return { u, frames, faults, drops, mismatches };
}

const tone = (i: number, n = 160) => new Uint8Array(n).fill(i & 0xff);

describe('TalkUplink', () => {
  it('publishes each audio frame as a talk frame of the lease, HiSilicon header removed, fed one byte at a time', () => {
    const { u, frames, faults } = uplink();
    const enc = new PacketEncoder({ sim: '013800138000', hisiliconAudio: true });
    const bytes = concatBytes(Array.from({ length: 5 }, (_, i) => enc.encode({ channel: 1, dataType: DataType.audio, payloadType: 6, timestamp: 7, data: tone(i) })).flat());
    for (let i = 0; i < bytes.length; i++) u.push(bytes.subarray(i, i + 1), 100 + Math.floor(i / 200));
    u.end();
    expect(faults).toEqual([]);
    expect(frames).toHaveLength(5);
    expect(frames.map((f) => f.data)).toEqual([0, 1, 2, 3, 4].map((i) => tone(i)));
    for (const f of frames) {
      expect(f).toMatchObject({ streamKind: 'talk', sim: '13800138000', channel: 1, codec: 'g711a', mediaKind: 'audio', keyFrame: true, connectionId: 'conn-1', streamPath: 'talk/13800138000-1' });
    }
    expect(frames.map((f) => f.sequence)).toEqual([0, 1, 2, 3, 4]);
    const ts = frames.map((f) => f.timestamp);
    for (let i = 1; i < ts.length; i++) expect(ts[i]!).toBeGreaterThan(ts[i - 1]!);
    expect(u.packets).toBe(5);
  });

  it('drops video on an audio port and reports a foreign SIM/channel once, still under the lease', () => {
    const { u, frames, drops, mismatches } = uplink();
    const enc = new PacketEncoder({ sim: '013900000001' });
    const packets = [
      ...enc.encode({ channel: 3, dataType: DataType.audio, payloadType: 7, timestamp: 0, data: tone(1) }),
      ...enc.encode({ channel: 3, dataType: DataType.P, payloadType: 98, timestamp: 0, data: new Uint8Array([0, 0, 0, 1, 0x41, 1]) }),
      ...enc.encode({ channel: 3, dataType: DataType.audio, payloadType: 7, timestamp: 20, data: tone(2) }),
    ];
    u.push(concatBytes(packets), 5);
    u.end();
    expect(mismatches).toEqual([{ sim: '013900000001', channel: 3 }]);
    expect(drops).toEqual([UplinkDropReason.notAudio]);
    expect(frames.map((f) => [f.sim, f.channel, f.codec])).toEqual([['13800138000', 1, 'g711u'], ['13800138000', 1, 'g711u']]);
  });

  it('counts garbage as a fault and carries on', () => {
    const { u, frames, faults } = uplink();
    const enc = new PacketEncoder({ sim: '13800138000' });
    const a = (i: number) => enc.encode({ channel: 1, dataType: DataType.audio, payloadType: 6, timestamp: i * 20, data: tone(i) })[0]!;
    u.push(concatBytes([a(0), a(1), new Uint8Array([1, 2, 3, 4, 5]), a(2), a(3)]), 0);
    u.end();
    expect(frames.map((f) => f.data[0])).toEqual([0, 1, 2, 3]);
    expect(faults.map((f) => f.kind)).toContain('garbage');
  });
});
