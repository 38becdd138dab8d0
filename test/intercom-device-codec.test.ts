/**
 * Talk down in the device's own codec, through the intercom's device side on a real TCP port
 * (the in-process bus and lease store, as `jt1078 start`): a device that sends IMA ADPCM or
 * G.726 up its audio port gets the browser's G.711 as the same codec — ADPCM with the
 * predictor little-endian, G.726 at the rate its own frames show and in the configured packing
 * — which decodes back to the browser's tone. A G.711 device gets G.711 as it was sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryMediaBus, type MediaBus } from '@jt1078/bus';
import { PAYLOAD_TYPE_OF, hisiliconPayload } from '@jt1078/jt1078';
import { Dvi4Encoder, decodeDvi4 } from '@jt1078/media/adpcm';
import { decodeAlaw, encodeAlaw } from '@jt1078/media/g711';
import { G726Decoder, G726Encoder } from '@jt1078/media/g726';
import { parseConfig } from '@jt1078/runtime/config';
import { HttpRouter } from '@jt1078/runtime/http';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { MemoryPortLeaseStore } from '@jt1078/store';
import { SimulatedTalkDevice } from '@jt1078/bench/talk-device';
import { startIntercom, type RunningIntercom } from '@jt1078/svc-intercom';
import { freePort, until } from './support/services.js';

const SIM = '013800138009';
const tone = (n: number, from = 0) => Int16Array.from({ length: n }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * (from + i)) / 8000)));

function snrDb(ref: Int16Array, test: Int16Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < Math.min(ref.length, test.length); i++) {
    s += ref[i]! ** 2;
    n += (ref[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(s / Math.max(1, n));
}

let intercom: RunningIntercom | undefined;
afterEach(async () => {
  await intercom?.stop();
  intercom = undefined;
});

async function talkingDevice(yaml = '') {
  const port = await freePort();
  const config = parseConfig(`jt1078:\n  intercom:\n    audio_ports: [${port}, ${port}]\n${yaml}`, 'test').config;
  const bus = new MemoryMediaBus();
  const leases = new MemoryPortLeaseStore();
  intercom = await startIntercom({ config, bus, leases, log: silentLogger(), metricsRegistry: createMetricsRegistry({ defaultMetrics: false }), router: new HttpRouter(), pod: 'p', publicAddress: async () => '127.0.0.1', host: '127.0.0.1' });
  await leases.acquire({ sim: SIM, channel: 1 }, { holder: 'p', ttlMs: 60_000, ports: [port, port] });
  const device = await SimulatedTalkDevice.connect({ port, sim: SIM, channel: 1, hisilicon: true });
  return { bus, device };
}

/** The browser's 20 ms G.711A packets of the tone, on talk.down; the PCM they carry. */
async function browserTalks(bus: MediaBus, packets: number): Promise<Int16Array> {
  const pcm = tone(packets * 160);
  for (let i = 0; i < packets; i++) bus.publishTalk({ sim: SIM, channel: 1, codec: 'g711a', timestamp: i * 20, sequence: i, sessionId: 's', data: encodeAlaw(pcm.subarray(i * 160, (i + 1) * 160)) });
  return decodeAlaw(encodeAlaw(pcm));
}

describe('talk down in the device codec', () => {
  it('ADPCM device: gets ADPCM blocks (HiSilicon header, little-endian predictor) that decode to the tone', async () => {
    const { bus, device } = await talkingDevice();
    const up = new Dvi4Encoder();
    for (let i = 0; i < 5; i++) device.sendAudio(up.encode(tone(160, i * 160)), i * 20, 'adpcm');
    await new Promise((r) => setTimeout(r, 300));
    const sent = await browserTalks(bus, 25);
    await until(() => device.received.length >= 25, 5000, 'talk packets at the device');
    expect(new Set(device.received.map((p) => p.payloadType))).toEqual(new Set([PAYLOAD_TYPE_OF.adpcm]));
    const blocks = device.received.map((p) => hisiliconPayload(p.body)!);
    expect(blocks.every((b) => b.length === 84)).toBe(true);
    const decoded = Int16Array.from(blocks.flatMap((b) => [...decodeDvi4(b, 'le')]));
    const snr = snrDb(sent, decoded);
    console.log(`ADPCM talk down: ${blocks.length} blocks, SNR ${snr.toFixed(1)} dB against the browser's audio`);
    expect(snr).toBeGreaterThan(15);
  });

  for (const { rate, packing, yaml } of [
    { rate: 24000, packing: 'be', yaml: '' },
    { rate: 40000, packing: 'le', yaml: '  audio:\n    devices:\n      "013800138009": { g726_packing: lsb }\n' },
  ] as const) {
    it(`G.726 device at ${rate / 1000} kbit/s (${packing === 'be' ? 'AAL2' : 'RFC 3551, configured for the SIM'}): gets G.726 at its rate that decodes to the tone`, async () => {
      const { bus, device } = await talkingDevice(yaml);
      const up = new G726Encoder(rate, packing);
      for (let i = 0; i < 60; i++) device.sendAudio(up.encode(tone(160, i * 160)), 1000 + i * 20, 'g726');
      await new Promise((r) => setTimeout(r, 300));
      const sent = await browserTalks(bus, 25);
      await until(() => device.received.length >= 25, 5000, 'talk packets at the device');
      expect(new Set(device.received.map((p) => p.payloadType))).toEqual(new Set([PAYLOAD_TYPE_OF.g726]));
      const frames = device.received.map((p) => hisiliconPayload(p.body)!);
      expect(frames.every((f) => f.length === (160 * rate) / 64000)).toBe(true);
      const decoder = new G726Decoder(rate, packing);
      const decoded = Int16Array.from(frames.flatMap((f) => [...decoder.decode(f)]));
      const snr = snrDb(sent, decoded);
      console.log(`G.726 ${rate} ${packing} talk down: ${frames.length} frames, SNR ${snr.toFixed(1)} dB`);
      expect(snr).toBeGreaterThan(15);
    });
  }

  it('G.711 device: gets the browser audio unchanged', async () => {
    const { bus, device } = await talkingDevice();
    device.sendAudio(new Uint8Array(160).fill(0xd5), 0, 'g711a');
    await new Promise((r) => setTimeout(r, 300));
    const sent = await browserTalks(bus, 5);
    await until(() => device.received.length >= 5, 5000, 'talk packets at the device');
    expect(device.received.map((p) => p.payloadType)).toEqual(Array(5).fill(PAYLOAD_TYPE_OF.g711a));
    expect(decodeAlaw(Uint8Array.from(device.received.flatMap((p) => [...p.body])))).toEqual(sent);
  });
});
