/**
 * Two-way talk across pods: two `jt1078 intercom` processes on one NATS and Redis, as two pods
 * behind a load balancer. Chromium (fake microphone, 440 Hz) talks to pod A over WebRTC; the
 * simulated device leased its port through pod B and is connected to pod B. The browser's audio
 * goes A → NATS talk.down → B → the device as JT1078 G.711A packets (PT 6, its SIM and channel,
 * 160 bytes, 20 ms apart, the 440 Hz tone); the device's 1 kHz uplink goes B → NATS media.talk →
 * A → the page on the same peer connection (inbound packetsReceived grows, energy > 0, the
 * spectrum peaks at 1 kHz). A holds the WebRTC session and B the device connection, as their
 * metrics show; the page hanging up ends the session on A.
 *
 * One machine cannot have both listen on the same audio port, so each listens on its own port
 * for the one leased port (`cluster.intercom.listen_ports`), and each has its own WebRTC UDP
 * range (`jt1078webrtc.port`).
 */
import type { Server } from 'node:http';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus } from '@jt1078/bus';
import { RedisPortLeaseStore } from '@jt1078/store';
import { SimulatedTalkDevice } from '@jt1078/bench/talk-device';
import {
  MIC_HZ, chromiumTalkArgs, expectDeviceHearsPage, expectPageHearsDevice, fakeMicrophone, machineAddress, metricSample, serveTalkPage, startTalk,
} from './fixtures/intercom-browser.js';
import { launchChromium } from './support/chromium.js';
import { launchPod, type Jt1078Pod } from './support/jt1078-pod.js';
import { freePort, natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';

const TOKEN = 'cross-pod-token';
const SIM = '013900000021';
const CHANNEL = 2;

describe('browser on pod A, device on pod B', () => {
  const root = uniquePrefix('icxpod');
  const ip = machineAddress();
  let leased = 0;
  let listenB = 0;
  let a: Jt1078Pod;
  let b: Jt1078Pod;
  let page: { url: string; server: Server };
  let browser: BrowserContext;

  beforeAll(async () => {
    leased = await freePort();
    const listenA = await freePort();
    listenB = await freePort();
    const udp = 20000 + Math.floor(Math.random() * 8000);
    const pod = (name: string, listen: number, udpPort: number) =>
      launchPod({
        service: 'intercom',
        name,
        root,
        jt1078: ['  intercom:', `    audio_ports: [${leased}, ${leased}]`, `    jt1078webrtc: { port: ${udpPort}, ip: ${ip} }`, `    token: ${TOKEN}`],
        cluster: [`  intercom: { listen_ports: [${listen}, ${listen}], drain_grace_second: 0 }`, `  pod: { name: ${name} }`],
      });
    [a, b] = await Promise.all([pod('intercom-a', listenA, udp), pod('intercom-b', listenB, udp + 1500)]);
    page = await serveTalkPage();
    browser = await launchChromium(chromiumTalkArgs(fakeMicrophone(MIC_HZ)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.kill(), b?.kill()]);
    await new Promise<void>((r) => (page ? page.server.close(() => r()) : r()));
    // What the pods left on the shared servers.
    const bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
    await bus.deleteStreams();
    await bus.close();
    const leases = new RedisPortLeaseStore(await redisUrl(), root);
    await leases.clear();
    await leases.close();
  });

  it('carries G.711A both ways through NATS between the two pods', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
    const lease = await fetch(`${b.url}/api/v1/intercom/leases`, { method: 'POST', headers: auth, body: JSON.stringify({ sim: SIM, channel: CHANNEL }) });
    expect(lease.status).toBe(201);
    expect(((await lease.json()) as { port: number }).port).toBe(leased);
    const device = await SimulatedTalkDevice.connect({ host: ip, port: listenB, sim: SIM, channel: CHANNEL });
    const tab = await browser.newPage();
    try {
      await tab.goto(page.url);
      const answer = await startTalk(tab, { url: `${a.url}/api/v1/intercom`, token: TOKEN, body: { type: 'offer', group: [{ sim: SIM, channel: CHANNEL, audioPort: leased }] } });
      expect(answer.type).toBe('answer');

      await expectDeviceHearsPage(device, { pt: 6, sim: SIM, channel: CHANNEL });
      await expectPageHearsDevice(tab, device, 'audio/PCMA');

      // Who held what: the WebRTC session on A, the device's connection (and the writes to it) on B.
      const [ma, mb] = await Promise.all([(await a.get('/metrics')).text(), (await b.get('/metrics')).text()]);
      expect(metricSample(ma, 'jt1078_intercom_webrtc_sessions')).toBe(1);
      expect(metricSample(mb, 'jt1078_intercom_webrtc_sessions')).toBe(0);
      expect(metricSample(ma, 'jt1078_intercom_webrtc_rtp_packets_total', 'direction="in"')).toBeGreaterThanOrEqual(100);
      expect(metricSample(ma, 'jt1078_intercom_webrtc_rtp_packets_total', 'direction="out"')).toBeGreaterThan(50);
      expect(metricSample(mb, 'jt1078_intercom_packets_total', 'direction="down"')).toBeGreaterThanOrEqual(100);
      expect(metricSample(ma, 'jt1078_intercom_packets_total', 'direction="down"')).toBe(0);

      await tab.evaluate(() => (window as unknown as { pc: RTCPeerConnection }).pc.close());
      await until(async () => metricSample(await (await a.get('/metrics')).text(), 'jt1078_intercom_webrtc_sessions') === 0, 15_000, 'the session on pod A to end when the page hung up');
      expect(metricSample(await (await a.get('/metrics')).text(), 'jt1078_intercom_webrtc_sessions_total', 'outcome="closed"')).toBe(1);
    } finally {
      await tab.close();
      await device.close();
      await fetch(`${a.url}/api/v1/intercom/leases/${leased}`, { method: 'DELETE', headers: auth });
    }
  }, 120_000);
});
