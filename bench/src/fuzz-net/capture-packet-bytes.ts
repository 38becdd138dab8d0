/** The captures as packets of raw bytes (header and body as they were on the wire), the fuzz's seeds. */
import { StreamDemuxer, headerLength, type Revision } from '@jt1078/jt1078';

export { headerLength };

export interface CapturePacketBytes {
  readonly revision: Revision;
  readonly dataType: number;
  readonly bytes: Uint8Array;
}

export function capturePacketBytes(capture: Uint8Array): CapturePacketBytes[] {
  const out: CapturePacketBytes[] = [];
  const demuxer = new StreamDemuxer({
    onPacket: (p) => {
      const length = headerLength(p.revision, p.dataType) + p.body.length;
      out.push({ revision: p.revision, dataType: p.dataType, bytes: capture.slice(p.offset, p.offset + length) });
    },
  });
  demuxer.push(capture);
  demuxer.end();
  return out;
}
