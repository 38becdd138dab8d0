/**
 * The onMetaData script tag (FLV spec E.5) in AMF0 (Adobe AMF0 spec §2): a String "onMetaData"
 * followed by an ECMA array of numbers and booleans. Players size their video element from it
 * before the first frame is decoded.
 */

export type FlvMetadataValue = number | boolean;

const AMF_NUMBER = 0x00;
const AMF_BOOLEAN = 0x01;
const AMF_STRING = 0x02;
const AMF_ECMA_ARRAY = 0x08;
const AMF_OBJECT_END = 0x09;

const enc = new TextEncoder();

export function flvOnMetaData(values: Readonly<Record<string, FlvMetadataValue>>): Uint8Array {
  const entries = Object.entries(values);
  const parts: number[] = [];
  const u16 = (v: number) => parts.push((v >>> 8) & 0xff, v & 0xff);
  const str = (s: string) => {
    const b = enc.encode(s);
    u16(b.length);
    parts.push(...b);
  };
  parts.push(AMF_STRING);
  str('onMetaData');
  parts.push(AMF_ECMA_ARRAY, 0, 0, (entries.length >>> 8) & 0xff, entries.length & 0xff);
  const f64 = new DataView(new ArrayBuffer(8));
  for (const [key, value] of entries) {
    str(key);
    if (typeof value === 'boolean') {
      parts.push(AMF_BOOLEAN, value ? 1 : 0);
    } else {
      f64.setFloat64(0, value);
      parts.push(AMF_NUMBER, ...new Uint8Array(f64.buffer));
    }
  }
  parts.push(0, 0, AMF_OBJECT_END);
  return Uint8Array.from(parts);
}
