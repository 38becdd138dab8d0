import { Dvi4Encoder, decodeDvi4 } from '@jt1078/media/adpcm';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '@jt1078/media/g711';
import { describe, expect, it } from 'vitest';
import { TALK_CODECS } from './webrtc-talk-codec.js';
import { UplinkDrop, UplinkPacketizer, type UplinkPacket } from './webrtc-uplink-packetizer.js';

const PCMA = TALK_CODECS[6];
const PCMU = TALK_CODECS[7];
const G722 = TALK_CODECS[2];

function tone(samples: number, hz = 440): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)));
}

function packets(out: UplinkPacket[] | UplinkDrop): UplinkPacket[] {
  if (typeof out === 'string') throw new Error(`dropped: ${out}`);
  return out;
}

describe('UplinkPacketizer', () => {
  it('passes audio in the negotiated codec through, 20 ms a packet, on a sample clock', () => {
    const p = new UplinkPacketizer([PCMA], 1000);
    const frame = encodeAlaw(tone(320));
    const out = packets(p.push({ codec: 'g711a', data: frame, timestamp: 0 }));
    expect(out.map((q) => [q.codec.rtpName, q.timestamp, q.payload.length, q.marker])).toEqual([['PCMA', 1000, 160, false], ['PCMA', 1160, 160, false]]);
    expect(Buffer.concat(out.map((q) => q.payload))).toEqual(Buffer.from(frame));
    expect(packets(p.push({ codec: 'g711a', data: frame.subarray(0, 160), timestamp: 40 }))[0]!.timestamp).toBe(1320);
  });

  it('converts the other G.711 law, IMA ADPCM and G.726 to the negotiated law', () => {
    const pcm = tone(160);
    const ulaw = encodeUlaw(pcm);
    expect(packets(new UplinkPacketizer([PCMA]).push({ codec: 'g711u', data: ulaw, timestamp: 0 }))[0]!.payload).toEqual(encodeAlaw(decodeUlaw(ulaw)));
    const alaw = encodeAlaw(pcm);
    expect(packets(new UplinkPacketizer([PCMU]).push({ codec: 'g711a', data: alaw, timestamp: 0 }))[0]!.payload).toEqual(encodeUlaw(decodeAlaw(alaw)));
    const block = new Dvi4Encoder().encode(pcm);
    const adpcm = packets(new UplinkPacketizer([PCMA]).push({ codec: 'adpcm', data: block, timestamp: 0 }));
    expect(adpcm[0]!.payload).toEqual(encodeAlaw(decodeDvi4(block)));
    // G.726's rate comes from the stream: a first frame is taken as 40 ms (80 bytes: 16 kbit/s),
    // the next ones by their spacing (80 bytes in 20 ms: 32 kbit/s, 160 samples).
    const g726 = new UplinkPacketizer([PCMU]);
    const frames = [0, 20, 40].map((timestamp) => packets(g726.push({ codec: 'g726', data: new Uint8Array(80).fill(0x55), timestamp })));
    expect(frames.map((f) => f.map((q) => [q.codec.rtpName, q.payload.length]))).toEqual([[['PCMU', 160], ['PCMU', 160]], [['PCMU', 160]], [['PCMU', 160]]]);
    // Pinned (jt1078.audio.g726_rate), the first frame is 20 ms too.
    const pinned = packets(new UplinkPacketizer([PCMU], 0, { g726Rate: 32000 }).push({ codec: 'g726', data: new Uint8Array(80).fill(0x55), timestamp: 0 }));
    expect(pinned.map((q) => q.payload.length)).toEqual([160]);
  });

  it('on a G.722 talk passes G.722 through and sends other audio as PCMA when the answer has it', () => {
    const both = new UplinkPacketizer([G722, PCMA], 0);
    const g722 = packets(both.push({ codec: 'g722', data: new Uint8Array(160).fill(0x3c), timestamp: 0 }));
    expect(g722.map((q) => [q.codec.rtpName, q.timestamp])).toEqual([['G722', 0]]);
    const alaw = encodeAlaw(tone(160));
    const fallback = packets(both.push({ codec: 'g711u', data: encodeUlaw(tone(160)), timestamp: 20 }));
    expect(fallback.map((q) => [q.codec.rtpName, q.timestamp])).toEqual([['PCMA', 160]]);
    expect(packets(both.push({ codec: 'g711a', data: alaw, timestamp: 40 }))[0]!.payload).toEqual(alaw);
    expect(new UplinkPacketizer([G722]).push({ codec: 'g711a', data: alaw, timestamp: 0 })).toBe(UplinkDrop.codecUnsupported);
  });

  it('drops what it cannot turn into a negotiated codec, saying why', () => {
    const p = new UplinkPacketizer([PCMA]);
    expect(p.push({ codec: 'g722', data: new Uint8Array(160), timestamp: 0 })).toBe(UplinkDrop.codecUnsupported);
    expect(p.push({ codec: 'aac', data: new Uint8Array(160), timestamp: 0 })).toBe(UplinkDrop.codecUnsupported);
    expect(p.push({ codec: 'adpcm', data: new Uint8Array(3), timestamp: 0 })).toBe(UplinkDrop.undecodable);
    expect(p.push({ codec: 'g711a', data: new Uint8Array(0), timestamp: 0 })).toBe(UplinkDrop.empty);
  });

  it('jumps the clock over a device pause, marking the packet after it, and ignores jitter', () => {
    const p = new UplinkPacketizer([PCMA], 0xffff_ff00);
    const frame = new Uint8Array(160).fill(0xd5);
    const at = (ms: number) => packets(p.push({ codec: 'g711a', data: frame, timestamp: 5000 + ms }))[0]!;
    expect([at(0), at(20), at(150)].map((q) => [q.timestamp, q.marker])).toEqual([[0xffff_ff00, false], [0xffff_ffa0, false], [0x40, false]]);
    // 60 ms of audio sent by t=150; t=1060 is a pause of 1000 ms.
    expect([at(1060)].map((q) => [q.timestamp, q.marker])).toEqual([[(0xffff_ff00 + 480 + 8000) % 0x1_0000_0000, true]]);
    expect(at(1080).marker).toBe(false);
  });
});
