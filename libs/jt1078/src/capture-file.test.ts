import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError, captureForm, decodeCapture, encodeCaptureHex } from './capture-file.js';
import { inspectCapture } from './capture-report.js';
import { DataType, PAYLOAD_TYPE_OF, Subpackage } from './packet.js';
import { PacketEncoder, concatBytes, encodePacket } from './packet-encoder.js';
import { StreamDemuxer } from './stream-demuxer.js';
import type { Jt1078Packet } from './packet.js';

function packets(n: number, revision: '2016' | '2019' = '2016', timestamp: (i: number) => number | bigint = (i) => i * 40): Uint8Array[] {
  const enc = new PacketEncoder({ sim: revision === '2019' ? '01234567899900000001' : '012345678999', revision });
  return Array.from({ length: n }, (_, i) => enc.encode({ channel: 1, dataType: DataType.audio, payloadType: PAYLOAD_TYPE_OF.g711a, timestamp: timestamp(i), data: new Uint8Array(160).fill(i) })).flat();
}

function csv(list: Uint8Array[], opts: { bom?: boolean; header?: boolean; eol?: string } = {}): Uint8Array {
  const eol = opts.eol ?? '\n';
  const lines = list.map((p, i) => `20190827032018,012345678999,${i},1,音频帧,原子包_不可被拆分,${Buffer.from(p).toString('hex')}`);
  const text = `${opts.bom ? '\ufeff' : ''}${opts.header ? `time,sim,seq,channel,type,subpackage,hex${eol}` : ''}${lines.join(eol)}${eol}`;
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

function demux(bytes: Uint8Array): Jt1078Packet[] {
  const out: Jt1078Packet[] = [];
  const d = new StreamDemuxer({ onPacket: (p) => out.push(p) });
  d.push(bytes);
  d.end();
  return out;
}

describe('capture forms', () => {
  const list = packets(5);
  const binary = concatBytes(list);

  it('reads CSV lines time,sim,seq,channel,type,subpackage,HEX: with or without header and BOM, LF or CRLF', () => {
    for (const opts of [{}, { header: true }, { bom: true }, { bom: true, header: true, eol: '\r\n' }]) {
      const bytes = csv(list, opts);
      expect(captureForm(bytes)).toBe('csv');
      expect(Buffer.compare(decodeCapture(bytes), binary)).toBe(0);
    }
    expect(inspectCapture(decodeCapture(csv(list, { bom: true, header: true }))).packets).toBe(5);
  });

  it('still tells binary and hex text apart from CSV', () => {
    expect(captureForm(binary)).toBe('binary');
    expect(captureForm(new Uint8Array(Buffer.from(encodeCaptureHex(binary))))).toBe('hex');
  });

  it('names the CSV line that carries no packet', () => {
    const bytes = new Uint8Array(Buffer.concat([Buffer.from(csv(list.slice(0, 2))), Buffer.from('20190827032018,012345678999,9,1,x,y,not-hex\n')]));
    expect(() => decodeCapture(bytes, 'f.csv')).toThrow(CaptureFormatError);
    expect(() => decodeCapture(bytes, 'f.csv')).toThrow(/f\.csv: CSV line 3 does not end in a packet's hex/);
  });
});

describe('revision of a one-packet capture', () => {
  for (const revision of ['2016', '2019'] as const) {
    it(`${revision}: an audio packet labelled with a video payload type is still read as ${revision}`, () => {
      // The 2019 SIM's 8th byte (99) is no data type, so only the 2019 reading is consistent.
      const sim = revision === '2019' ? '01234567899999999901' : '012345678999';
      const one = encodePacket(
        { revision, marker: true, payloadType: PAYLOAD_TYPE_OF.h264, sequence: 0, sim, channel: 1, dataType: DataType.audio, subpackage: Subpackage.atomic, timestamp: 1000 },
        new Uint8Array(80).fill(0xd5),
      );
      const report = inspectCapture(one);
      expect(report).toMatchObject({ revision, packets: 1 });
      expect(report.faults.filter((f) => f.kind === 'revision-unknown')).toEqual([]);
    });
  }
});

describe('timestamps of 2^53 ms and more', () => {
  const base = 2n ** 60n + 7n;
  const list = packets(3, '2019', (i) => base + BigInt(i * 40));

  it('come out of the demuxer exactly, and stay numbers below', () => {
    const got = demux(concatBytes(list));
    expect(got.map((p) => p.exactTimestamp)).toEqual([base, base + 40n, base + 80n]);
    expect(demux(concatBytes(packets(2))).map((p) => [p.timestamp, p.exactTimestamp])).toEqual([[0, undefined], [40, undefined]]);
  });

  it('are reported by inspect as exact decimal strings (JSON keeps them)', () => {
    const report = inspectCapture(concatBytes(list));
    const audio = JSON.parse(JSON.stringify(report)).streams[0].audio as { firstTimestamp: string; lastTimestamp: string };
    expect(audio).toMatchObject({ firstTimestamp: base.toString(), lastTimestamp: (base + 80n).toString() });
  });
});

describe('capture forms under fuzz', () => {
  it('reads a capture the same in all three forms, and any bytes as one form or a typed error (fuzz)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.boolean(), (n, bom, header) => {
        const binary = concatBytes(packets(n));
        expect(decodeCapture(binary)).toEqual(binary);
        expect(decodeCapture(new Uint8Array(Buffer.from(encodeCaptureHex(binary))))).toEqual(binary);
        expect(decodeCapture(csv(packets(n), { bom, header }))).toEqual(binary);
      }),
      { numRuns: 20 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }).map((s) => new Uint8Array(Buffer.from(s)))), (raw) => {
        try {
          const out = decodeCapture(raw);
          expect(['binary', 'hex', 'csv']).toContain(captureForm(raw));
          expect(out.length).toBeLessThanOrEqual(raw.length);
        } catch (e) {
          expect(e).toBeInstanceOf(CaptureFormatError);
        }
      }),
      { numRuns: 400 },
    );
  });
});
