/**
 * Makes the project's own JT1078 captures (testdata/jt1078/) from the frames of the real G.711
 * capture, with this library's encoder, covering what the real captures do not:
 *  - `2019-interleaved-hisilicon.bin`: the 2019 revision (20-digit SIM with leading zeros),
 *    HiSilicon headers on audio, and audio packets sent between the subpackages of video frames;
 *  - `2016-passthrough.bin`: a passthrough packet (data type 4) after every 10th video frame.
 * Deterministic: `npx tsx libs/jt1078/src/testdata/generate-captures.ts` rewrites identical bytes,
 * and a test checks that the committed files match.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FrameAssembler, type AssembledFrame } from '../frame-assembler.js';
import { readCapture } from '../capture-file.js';
import { DataType } from '../packet.js';
import { PacketEncoder, concatBytes, type EncoderFrame, type PacketPlan } from '../packet-encoder.js';
import { StreamDemuxer } from '../stream-demuxer.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
export const SHARED_TESTDATA = path.resolve(REPO_ROOT, '../shared/testdata');
export const OWN_TESTDATA = path.join(REPO_ROOT, 'testdata/jt1078');
export const G711_CAPTURE = path.join(SHARED_TESTDATA, 'jt1078-h264-g711a-156987000796-1.hex.txt');
export const H264_CAPTURE = path.join(SHARED_TESTDATA, 'jt1078-h264-295696659617-1.hex.txt');

/**
 * Whether ../shared/testdata (the real captures) is here. A user's checkout may not have it, and
 * those tests then skip with a message; CI (CI or JT1078_REQUIRE_ALL set) must run them all.
 */
export function sharedTestdataAvailable(): boolean {
  if (existsSync(SHARED_TESTDATA)) return true;
  if (process.env['CI'] || process.env['JT1078_REQUIRE_ALL']) {
    throw new Error(`${SHARED_TESTDATA} is missing: CI must run every test (put shared/ beside the repository)`);
  }
  console.warn(`skipping real-capture tests: ${SHARED_TESTDATA} is absent`);
  return false;
}

/** Video frames taken from the source capture: about 1.6 s, a key frame and its P-frames, with their audio. */
const VIDEO_FRAMES = 40;
export const SIM_2019 = '00000000156987000796';

export function framesOf(bytes: Uint8Array): AssembledFrame[] {
  const frames: AssembledFrame[] = [];
  const assembler = new FrameAssembler();
  const demuxer = new StreamDemuxer({ onPacket: (p) => frames.push(...assembler.push(p)) });
  demuxer.push(bytes);
  demuxer.end();
  return frames;
}

function toEncoderFrame(f: AssembledFrame): EncoderFrame {
  return { channel: f.channel, dataType: f.dataType, payloadType: f.payloadType, timestamp: f.timestamp, data: f.data };
}

function sourceFrames(): AssembledFrame[] {
  const frames = framesOf(readCapture(G711_CAPTURE));
  const out: AssembledFrame[] = [];
  let video = 0;
  for (const f of frames) {
    if (f.kind === 'video' && ++video > VIDEO_FRAMES) break;
    out.push(f);
  }
  return out;
}

/** 2019 revision, HiSilicon audio, and each audio frame sent inside the next video frame's subpackages. */
export function makeInterleaved2019(): Uint8Array {
  const encoder = new PacketEncoder({ sim: SIM_2019, revision: '2019', hisiliconAudio: true });
  const packets: Uint8Array[] = [];
  const waitingAudio: PacketPlan[] = [];
  for (const f of sourceFrames()) {
    const plans = encoder.packetize(toEncoderFrame(f));
    if (f.kind === 'audio') {
      waitingAudio.push(...plans);
      continue;
    }
    plans.forEach((plan, i) => {
      packets.push(encoder.emit(plan));
      // After the first subpackage of a multi-packet frame, send the audio that was waiting.
      if (i === 0 && plans.length > 1) packets.push(...waitingAudio.splice(0).map((p) => encoder.emit(p)));
    });
  }
  packets.push(...waitingAudio.map((p) => encoder.emit(p)));
  return concatBytes(packets);
}

/** 2016 revision with a passthrough packet (data type 4, no timestamp) after every 10th video frame. */
export function makePassthrough2016(): Uint8Array {
  const encoder = new PacketEncoder({ sim: '013800138000' });
  const packets: Uint8Array[] = [];
  let video = 0;
  for (const f of sourceFrames()) {
    packets.push(...encoder.encode(toEncoderFrame(f)));
    if (f.kind === 'video' && ++video % 10 === 0) {
      const text = new TextEncoder().encode(`passthrough ${video / 10}: serial data from the vehicle bus`);
      packets.push(...encoder.encode({ channel: 1, dataType: DataType.passthrough, payloadType: 0, data: text }));
    }
  }
  return concatBytes(packets);
}

export const GENERATED_CAPTURES: Readonly<Record<string, () => Uint8Array>> = {
  '2019-interleaved-hisilicon.bin': makeInterleaved2019,
  '2016-passthrough.bin': makePassthrough2016,
};

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  mkdirSync(OWN_TESTDATA, { recursive: true });
  for (const [name, make] of Object.entries(GENERATED_CAPTURES)) {
    const bytes = make();
    writeFileSync(path.join(OWN_TESTDATA, name), bytes);
    process.stdout.write(`wrote testdata/jt1078/${name} (${bytes.length} bytes)\n`);
  }
}
