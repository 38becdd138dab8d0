import { describe, expect, it } from 'vitest';
import { DataType, PAYLOAD_TYPE_OF, PacketEncoder, concatBytes } from '@jt1078/jt1078';
import { framesOf } from '@jt1078/jt1078/testdata';
import { CaptureReplay, loadCapturePackets } from './capture-replay.js';
import { SEND_STAMP_TAIL, hasSendStamp, readSendStamp, sendStampNal, writeSendStamp } from './send-stamp.js';

/** Video frames of `sizes` bytes (an IDR first) each ending in a send stamp, and an audio frame between. */
function stampedCapture(sizes: readonly number[]): Uint8Array {
  const encoder = new PacketEncoder({ sim: '013900300001' });
  const stamp = sendStampNal();
  return concatBytes(
    sizes.flatMap((size, i) => {
      const data = new Uint8Array(size).fill(0x44);
      data.set([0, 0, 0, 1, i === 0 ? 0x65 : 0x41], 0);
      data.set(stamp, size - stamp.length);
      return [
        ...encoder.encode({ channel: 1, dataType: i === 0 ? DataType.I : DataType.P, payloadType: PAYLOAD_TYPE_OF.h264, timestamp: i * 40, data }),
        ...encoder.encode({ channel: 1, dataType: DataType.audio, payloadType: PAYLOAD_TYPE_OF.g711a, timestamp: i * 40 + 1, data: new Uint8Array(160).fill(0xd5) }),
      ];
    }),
  );
}

describe('send stamps', () => {
  it('round-trip a clock through an access unit, exactly, as hex digits only', () => {
    const au = concatBytes([Uint8Array.of(0, 0, 0, 1, 0x41, 7, 7), sendStampNal()]);
    expect(hasSendStamp(au)).toBe(true);
    for (const ns of [1, 123_456_789_012_345, 2 ** 53 - 1]) {
      writeSendStamp(au, au.length - SEND_STAMP_TAIL, ns);
      expect(readSendStamp(au)).toBe(ns);
      const digits = new TextDecoder().decode(au.subarray(au.length - SEND_STAMP_TAIL, au.length - 1));
      expect(digits).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(readSendStamp(Uint8Array.of(0, 0, 0, 1, 0x41, 0x80))).toBeUndefined();
    writeSendStamp(au, au.length - SEND_STAMP_TAIL, 0);
    expect(readSendStamp(au)).toBeUndefined(); // never stamped
  });

  it('tell the replay which packet completes each stamped frame, and where its clock goes', () => {
    // 5,000 bytes = 950 × 5 + 250: the stamp in the sixth packet; 1,910 = 950 × 2 + 10: the digits cut across two packets.
    const capture = loadCapturePackets(stampedCapture([5000, 1910, 300]));
    const stamped = capture.stampAt.flatMap((at, i) => (at === undefined ? [] : [i]));
    const completing = capture.packets.flatMap((p, i) => (p.dataType <= DataType.B && (p.subpackage === 0 || p.subpackage === 2) ? [i] : []));
    expect(completing).toHaveLength(3);
    expect(stamped).toEqual([completing[0], completing[2]]);

    // A device writes its clock where the replay says, as it sends; the assembled frame carries it.
    const replay = new CaptureReplay(capture, { loop: false });
    const sent: Uint8Array[] = [];
    let clock = 1_000_000;
    for (let step = replay.next(); step; step = replay.next()) {
      if (step.stampAt !== undefined) writeSendStamp(step.bytes, step.stampAt, (clock += 1000));
      sent.push(step.bytes);
    }
    const video = framesOf(concatBytes(sent)).filter((f) => f.kind === 'video');
    expect(video.map((f) => readSendStamp(f.data))).toEqual([1_001_000, undefined, 1_002_000]);
    expect(video.map((f) => f.keyFrame)).toEqual([true, false, false]);
  });
});
