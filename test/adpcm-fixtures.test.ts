/**
 * Every IMA ADPCM capture in the repository (and in the shared real captures, when present) is
 * read as a device writes it: a device's encoder carries its state from block to block, so the
 * last sample a block decodes to is the next block's header predictor, and the step index it
 * ends on is the next block's index. That holds for every boundary only when the predictor is
 * read in the right byte order (little-endian); read the other way, the boundaries miss.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameAssembler, StreamDemuxer, readCapture } from '@jt1078/jt1078';
import { decodeDvi4Block, dvi4BlockState, type AdpcmByteOrder } from '@jt1078/media/adpcm';
import { SHARED_TESTDATA, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function captures(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(bin|csv|txt)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** ADPCM frames per stream, in order (HiSilicon headers removed by the assembler). */
function adpcmBlocks(file: string): Uint8Array[][] {
  const streams = new Map<string, Uint8Array[]>();
  const assembler = new FrameAssembler();
  const demuxer = new StreamDemuxer({
    onPacket: (p) => {
      for (const f of assembler.push(p)) {
        if (f.kind !== 'audio' || f.codec !== 'adpcm') continue;
        const key = `${f.sim}/${f.channel}`;
        if (!streams.has(key)) streams.set(key, []);
        streams.get(key)!.push(f.data);
      }
    },
  });
  demuxer.push(readCapture(file));
  demuxer.end();
  return [...streams.values()];
}

/** Boundaries checked, and those where the last sample or the step index does not carry on. */
function boundaries(blocks: Uint8Array[], order: AdpcmByteOrder) {
  let checked = 0;
  let sampleMisses = 0;
  let indexMisses = 0;
  let missSum = 0;
  for (let i = 1; i < blocks.length; i++) {
    const prev = decodeDvi4Block(blocks[i - 1]!, order);
    const next = dvi4BlockState(blocks[i]!, order);
    const last = prev.samples[prev.samples.length - 1]!;
    checked++;
    if (last !== next.predictor) sampleMisses++;
    if (prev.endIndex !== next.index) indexMisses++;
    missSum += Math.abs(last - next.predictor);
  }
  return { checked, sampleMisses, indexMisses, meanMiss: missSum / Math.max(1, checked) };
}

const files = [...captures(path.join(ROOT, 'testdata')), ...(sharedTestdataAvailable() ? captures(SHARED_TESTDATA) : [])];
const withAdpcm = files.map((file) => ({ file, streams: adpcmBlocks(file) })).filter((c) => c.streams.length > 0);

describe('ADPCM block boundaries in every capture that has ADPCM', () => {
  it('finds the captures (at least the project-made HiSilicon one)', () => {
    expect(withAdpcm.map((c) => path.basename(c.file))).toContain('h264-adpcm-hisilicon.bin');
  });

  for (const { file, streams } of withAdpcm) {
    it(`${path.relative(ROOT, file)}: read little-endian, each block starts where the last ended`, () => {
      for (const blocks of streams) {
        const le = boundaries(blocks, 'le');
        expect(le.checked).toBeGreaterThan(10);
        expect(le).toMatchObject({ sampleMisses: 0, indexMisses: 0 });
        // Big-endian, the same blocks do not join up: the check can tell the two apart.
        const be = boundaries(blocks, 'be');
        expect(be.sampleMisses).toBeGreaterThan(be.checked / 2);
        console.log(`${path.basename(file)}: ${le.checked} boundaries; little-endian 0 misses; big-endian ${be.sampleMisses} misses, mean ${be.meanMiss.toFixed(0)}`);
      }
    });
  }
});
