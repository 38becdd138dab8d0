/**
 * Two-way talk from a real browser: Debian's Chromium with a fake microphone (a 440 Hz tone)
 * opens the test's talk page, which posts its offer to the intercom as m7s-jt1078's page does.
 * The intercom is composed as `jt1078 intercom` composes it — startIntercom (leases, audio ports)
 * with the WebRTC routes on the same router — on real NATS (NatsMediaBus, unique subject root)
 * and Redis. A simulated device leases a port over the API, connects to it and
 *   - receives the browser's audio as JT1078 audio packets: the PT of the negotiated codec, its
 *     SIM and channel, 160 bytes each, timestamps 20 ms apart (50 packets/s), and (G.711A) the
 *     microphone's 440 Hz tone;
 *   - sends up its own 1 kHz tone as JT1078 G.711A packets, which the page receives on the same
 *     peer connection (getStats inbound packetsReceived grows, totalAudioEnergy > 0) and plays:
 *     the AnalyserNode's RMS is above silence and its spectrum peaks at 1 kHz.
 * The page closing its peer connection ends the session on the intercom.
 */
import type { Server } from 'node:http';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus } from '@jt1078/bus';
import { parseConfig } from '@jt1078/runtime/config';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { HealthState } from '@jt1078/runtime/lifecycle';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { RedisPortLeaseStore } from '@jt1078/store';
import { SimulatedTalkDevice } from '@jt1078/bench/talk-device';
import { startIntercom, type RunningIntercom } from '@jt1078/svc-intercom';
import { addWebRtcRoutes } from '../services/intercom/src/webrtc-routes.js';
import type { WebRtcIntercom } from '../services/intercom/src/webrtc-intercom.js';
import {
  MIC_HZ, chromiumTalkArgs, expectDeviceHearsPage, expectPageHearsDevice, fakeMicrophone, machineAddress, serveTalkPage, startTalk,
} from './fixtures/intercom-browser.js';
import { launchChromium } from './support/chromium.js';
import { freePortRange, natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';

const TOKEN = 'browser-talk-token';

async function lease(base: string, sim: string, channel: number): Promise<number> {
  const res = await fetch(`${base}/api/v1/intercom/leases`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ sim, channel }) });
  const body = (await res.json()) as { port: number };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.port;
}

describe('browser ↔ device talk through the intercom, on NATS and Redis', () => {
  const root = uniquePrefix('icweb');
  const ip = machineAddress();
  let audioPorts: [number, number];
  let udp = 0;
  let bus: NatsMediaBus;
  let leases: RedisPortLeaseStore;
  let intercom: RunningIntercom;
  let webrtc: WebRtcIntercom | undefined;
  let http: Server;
  let base = '';
  let page: { url: string; server: Server };
  let browser: BrowserContext;
  const registry = createMetricsRegistry({ defaultMetrics: false });

  beforeAll(async () => {
    const first = await freePortRange(3);
    audioPorts = [first, first + 2];
    udp = 20000 + Math.floor(Math.random() * 10000);
    const config = parseConfig([
      'jt1078:',
      '  intercom:',
      `    audio_ports: [${audioPorts[0]}, ${audioPorts[1]}]`,
      `    jt1078webrtc: { port: ${udp}, ip: ${ip} }`,
      `    token: ${TOKEN}`,
      'cluster:',
      `  nats: { subject_root: ${root} }`,
    ].join('\n'), 'test').config;
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    leases = new RedisPortLeaseStore(await redisUrl(), root);
    const router = addOpsRoutes(new HttpRouter(), new HealthState(), registry);
    const log = silentLogger();
    intercom = await startIntercom({
      config, bus, leases, log, metricsRegistry: registry, router, pod: 'intercom-web',
      extraRoutes: (r) => {
        webrtc = addWebRtcRoutes(r, { config: config.jt1078.intercom, bus, registry, log, maxSessions: 8 });
      },
    });
    http = await serveRouter(router, '127.0.0.1:0');
    base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    page = await serveTalkPage();
    browser = await launchChromium(chromiumTalkArgs(fakeMicrophone(MIC_HZ)));
  });

  afterAll(async () => {
    await browser?.close();
    await webrtc?.close();
    await intercom?.stop();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    await new Promise<void>((r) => (page ? page.server.close(() => r()) : r()));
    await bus?.deleteStreams();
    await bus?.close();
    await leases?.clear();
    await leases?.close();
  });

  const cases = [
    { encoding: 6, pt: 6, codec: 'audio/PCMA', sim: '013800138000', channel: 1, waitForCandidates: false },
    { encoding: 7, pt: 7, codec: 'audio/PCMU', sim: '013800138001', channel: 2, waitForCandidates: true },
    // G.722 down; the device's G.711A comes back as PCMA on the same connection (no G.722 encoder).
    { encoding: 2, pt: 2, codec: 'audio/PCMA', sim: '013800138002', channel: 1, waitForCandidates: true },
  ] as const;

  for (const c of cases) {
    it(`enterAudioEncoding ${c.encoding}: the device gets PT ${c.pt} packets and the page hears the device`, async () => {
      const port = await lease(base, c.sim, c.channel);
      const device = await SimulatedTalkDevice.connect({ host: ip, port, sim: c.sim, channel: c.channel });
      const tab = await browser.newPage();
      try {
        await tab.goto(page.url);
        const answer = await startTalk(tab, {
          url: `${base}/jt1078/api/v1/intercom`,
          token: TOKEN,
          waitForCandidates: c.waitForCandidates,
          body: { type: 'offer', group: [{ sim: c.sim, channel: c.channel, audioPort: port }], enterAudioEncoding: c.encoding },
        });
        // m7s-jt1078's answer: exactly {type, sdp}; its candidates on jt1078webrtc.ip, in the UDP range.
        expect(answer.keys.sort()).toEqual(['sdp', 'type']);
        expect(answer.type).toBe('answer');
        const candidates = answer.sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:')).map((l) => l.split(' '));
        expect(candidates.length).toBeGreaterThan(0);
        for (const cand of candidates) {
          expect(cand[4]).toBe(ip);
          expect(Number(cand[5])).toBeGreaterThanOrEqual(udp);
          expect(Number(cand[5])).toBeLessThan(udp + 32);
        }
        expect(answer.location).toMatch(/^\/api\/v1\/intercom\/sessions\//);

        // Browser → device, then device → browser on the same peer connection.
        await expectDeviceHearsPage(device, c);
        await expectPageHearsDevice(tab, device, c.codec);

        // The page hangs up: Chromium's DTLS close_notify ends the session here.
        const id = answer.location!.split('/').at(-1)!;
        expect(webrtc!.sessions().map((s) => s.id)).toContain(id);
        await tab.evaluate(() => (window as unknown as { pc: RTCPeerConnection }).pc.close());
        await until(() => !webrtc!.sessions().some((s) => s.id === id), 15_000, 'the session to end when the page closed its peer connection');
        const metrics = await (await fetch(`${base}/metrics`)).text();
        expect(metrics).toMatch(/^jt1078_intercom_webrtc_sessions_total\{outcome="closed"\} [1-9]/m);
      } finally {
        await tab.close();
        await device.close();
        await fetch(`${base}/api/v1/intercom/leases/${port}`, { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}` } });
      }
    }, 90_000);
  }

  it('refuses an offer without the bearer token, and one that does not offer the codec, naming the field', async () => {
    const tab = await browser.newPage();
    try {
      await tab.goto(page.url);
      const body = { group: [{ sim: '013800138000', channel: 1, audioPort: audioPorts[0] }] };
      await expect(startTalk(tab, { url: `${base}/api/v1/intercom`, body })).rejects.toThrow(/HTTP 401: .*Bearer/);
      const res = await fetch(`${base}/api/v1/intercom`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ ...body, sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n' }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('sdp: the offer has no PCMA/8000 audio (enterAudioEncoding 6)');
    } finally {
      await tab.close();
    }
  });
});
