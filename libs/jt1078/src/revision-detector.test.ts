import { readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCapture } from './capture-file.js';
import { DataType, PAYLOAD_TYPE_OF, type Revision } from './packet.js';
import { encodePacket } from './packet-encoder.js';
import { DETECT_LIMIT_BYTES, RevisionDetector, detectRevision, type RevisionDetection } from './revision-detector.js';
import { OWN_TESTDATA, REPO_ROOT, SHARED_TESTDATA, sharedTestdataAvailable } from './testdata/generate-captures.js';

const haveShared = sharedTestdataAvailable();

/** Every capture the project has: its own (named `2019-…` when 2019) and the real ones (2016). */
function captures(): Array<{ file: string; revision: Revision }> {
  const dirs = [OWN_TESTDATA, path.join(REPO_ROOT, 'testdata/media'), ...(haveShared ? [SHARED_TESTDATA] : [])];
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => /\.(bin|csv|txt)$/.test(f))
      .map((f) => ({ file: path.join(dir, f), revision: f.startsWith('2019-') ? ('2019' as const) : ('2016' as const) })),
  );
}

const audio = (revision: Revision, seq: number, o: { payloadType?: number; dataType?: number; body?: number } = {}) =>
  encodePacket(
    {
      revision, marker: true, payloadType: o.payloadType ?? PAYLOAD_TYPE_OF.g711a, sequence: seq,
      sim: revision === '2019' ? '00000000013900000001' : '013900000001', channel: 1,
      dataType: o.dataType ?? DataType.audio, subpackage: 0, timestamp: seq * 20,
    },
    new Uint8Array(o.body ?? 160).fill(0xd5),
  );
const join = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** What the detector says once the bytes have all been pushed and the stream has ended. */
  readonly expected: Revision | 'none';
  /** Whether it can tell before the end. */
  readonly beforeEnd: boolean;
}

const CASES: readonly Case[] = [
  { name: 'two 2016 packets', bytes: join(audio('2016', 0), audio('2016', 1)), expected: '2016', beforeEnd: true },
  { name: 'two 2019 packets', bytes: join(audio('2019', 0), audio('2019', 1)), expected: '2019', beforeEnd: true },
  { name: 'one 2016 packet: known only at the end', bytes: audio('2016', 0), expected: '2016', beforeEnd: false },
  { name: 'one 2019 packet: known only at the end', bytes: audio('2019', 0), expected: '2019', beforeEnd: false },
  { name: 'garbage before 2019 packets', bytes: join(Uint8Array.from([1, 2, 0x30, 0x31, 9]), audio('2019', 0), audio('2019', 1)), expected: '2019', beforeEnd: true },
  {
    name: 'a lone packet whose payload type contradicts its data type (G.711A marked video)',
    bytes: audio('2016', 0, { dataType: DataType.P }),
    expected: '2016',
    beforeEnd: false,
  },
  { name: 'no magic at all', bytes: new Uint8Array(300).fill(7), expected: 'none', beforeEnd: false },
  { name: 'a magic with an impossible header', bytes: Uint8Array.from([0x30, 0x31, 0x63, 0x64, 0x01, ...new Uint8Array(40)]), expected: 'none', beforeEnd: false },
];

function pushAll(bytes: Uint8Array, chunk: number, end: boolean): RevisionDetection[] {
  const d = new RevisionDetector();
  const out: RevisionDetection[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(d.push(bytes.subarray(i, i + chunk), i));
  if (end) out.push(d.push(new Uint8Array(0), bytes.length, true));
  return out.filter((r) => r.kind !== 'waiting');
}

describe('RevisionDetector', () => {
  for (const c of CASES) {
    it(c.name, () => {
      expect(detectRevision(c.bytes, true)).toBe(c.expected);
      expect(detectRevision(c.bytes, false)).toBe(c.beforeEnd ? c.expected : 'wait');
      for (const chunk of [1, 7, 4096]) {
        const [first] = pushAll(c.bytes, chunk, true);
        if (c.expected === 'none') {
          expect(first).toEqual({ kind: 'unknown', base: 0, length: c.bytes.length });
        } else {
          expect(first).toMatchObject({ kind: 'found', revision: c.expected, base: 0 });
          // Every byte gathered so far is handed back, to be parsed with the revision found.
          if (first?.kind === 'found') expect([...first.bytes]).toEqual([...c.bytes.subarray(0, first.bytes.length)]);
        }
      }
    });
  }

  it('gives up past DETECT_LIMIT_BYTES and starts over after them', () => {
    const d = new RevisionDetector();
    const junk = new Uint8Array(8192).fill(1);
    let unknown: RevisionDetection | undefined;
    let at = 0;
    while (!unknown) {
      const r = d.push(junk, at);
      at += junk.length;
      if (r.kind !== 'waiting') unknown = r;
      expect(d.bufferedBytes).toBeLessThanOrEqual(DETECT_LIMIT_BYTES + junk.length);
    }
    expect(unknown).toEqual({ kind: 'unknown', base: 0, length: at });
    expect(d.bufferedBytes).toBe(0);
    const packets = join(audio('2019', 0), audio('2019', 1));
    expect(d.push(packets, at)).toMatchObject({ kind: 'found', revision: '2019', base: at });
  });

  for (const { file, revision } of captures()) {
    it(`finds ${revision} in ${path.relative(REPO_ROOT, file)} from its first bytes, in any chunking`, () => {
      const bytes = readCapture(file);
      for (const chunk of [1, 100, 65536]) {
        const [first] = pushAll(bytes, chunk, false);
        expect(first).toMatchObject({ kind: 'found', revision, base: 0 });
        // Decided within the first few packets, not by buffering the capture.
        if (first?.kind === 'found') expect(first.bytes.length).toBeLessThan(Math.max(4096, chunk) + chunk);
      }
    });
  }

  it('never throws, stays bounded, and accounts for every byte (fuzz, cases as seeds)', () => {
    const seeded = fc
      .tuple(fc.constantFrom(...CASES.map((c) => c.bytes)), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }))
      .map(([seed, edits]) => {
        const b = Uint8Array.from(seed);
        for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(seeded, fc.uint8Array({ maxLength: 3000 })), fc.integer({ min: 1, max: 512 }), fc.boolean(), (bytes, chunk, end) => {
        const d = new RevisionDetector();
        let accounted = 0;
        let found = false;
        for (let i = 0; i < bytes.length && !found; i += chunk) {
          const r = d.push(bytes.subarray(i, i + chunk), i);
          expect(d.bufferedBytes).toBeLessThanOrEqual(DETECT_LIMIT_BYTES + chunk);
          if (r.kind === 'unknown') accounted += r.length;
          if (r.kind === 'found') {
            expect(r.base).toBe(accounted);
            found = true;
          }
        }
        if (!found && end) {
          const r = d.push(new Uint8Array(0), bytes.length, true);
          if (r.kind === 'unknown') accounted += r.length;
          if (r.kind === 'found') found = true;
          expect(r.kind).not.toBe('waiting');
        }
        if (!found) expect(accounted + d.bufferedBytes).toBe(bytes.length);
      }),
      { numRuns: 500 },
    );
  });
});
