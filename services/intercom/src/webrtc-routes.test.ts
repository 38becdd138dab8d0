/**
 * The WebRTC routes over real sockets: HTTP on a port, werift peers (WebRtcTalkClient) as
 * browsers doing ICE and DTLS over UDP with the intercom, on the in-process bus (the browser
 * tests in test/ run the same over NATS with Chromium, and a browser closing: werift sends no
 * DTLS close_notify). Both directions, the three codecs, a broadcast, the m7s answer shape,
 * validation, the token, the session bound, DELETE, a browser that never connects, and the
 * metrics of all that.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMediaBus, type TalkAudio } from '@jt1078/bus';
import type { CodecName } from '@jt1078/media';
import { decodeAlaw, encodeAlaw } from '@jt1078/media/g711';
import { HttpRouter, serveRouter } from '@jt1078/runtime/http';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry, type Registry } from '@jt1078/runtime/metrics';
import { RTCPeerConnection } from 'werift';
import { until } from '../../../test/support/services.js';
import type { WebRtcIntercom } from './webrtc-intercom.js';
import { addWebRtcRoutes } from './webrtc-routes.js';
import { WebRtcTalkClient } from './webrtc-talk-client.js';

const SIM = '013800138000';
const TOKEN = 'webrtc-test-token';

/** A UDP range below the ephemeral ports, different for each run. */
function udpRange(size: number): [number, number] {
  const start = 20000 + Math.floor(Math.random() * 10000);
  return [start, start + size - 1];
}

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

function tone(i: number): Uint8Array {
  return encodeAlaw(Int16Array.from({ length: 160 }, (_, j) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * (i * 160 + j)) / 8000))));
}

interface Harness {
  readonly bus: MemoryMediaBus;
  readonly registry: Registry;
  readonly intercom: WebRtcIntercom;
  readonly server: Server;
  readonly base: string;
}

async function harness(opts: { token?: string; ip?: string; maxSessions?: number; connectTimeoutMs?: number } = {}): Promise<Harness> {
  const bus = new MemoryMediaBus();
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const router = new HttpRouter();
  const intercom = addWebRtcRoutes(router, {
    config: { jt1078webrtc: { port: 0, ip: opts.ip ?? '' }, token: opts.token ?? '' },
    bus,
    registry,
    log: silentLogger(),
    udpPorts: udpRange(64),
    ...(opts.maxSessions ? { maxSessions: opts.maxSessions } : {}),
    ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    disconnectGraceMs: 1000,
  });
  const server = await serveRouter(router, '127.0.0.1:0');
  return { bus, registry, intercom, server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

async function stop(h: Harness): Promise<void> {
  await h.intercom.close();
  await new Promise<void>((r) => h.server.close(() => r()));
  await h.bus.close();
}

function collectTalk(bus: MemoryMediaBus, sim = SIM, channel = 1): Promise<{ audio: TalkAudio[]; stop: () => void }> {
  const audio: TalkAudio[] = [];
  return bus.subscribeTalk({ sim, channel }, (a) => audio.push(a)).then((stop) => ({ audio, stop }));
}

function publishUplink(bus: MemoryMediaBus, i: number, codec: CodecName = 'g711a', data = tone(i), sim = SIM): void {
  bus.publishFrame({ streamKind: 'talk', sim, channel: 1, codec, mediaKind: 'audio', keyFrame: false, timestamp: i * 20, sequence: i, connectionId: 'device-1', streamPath: `talk/${sim}-1`, data });
}

describe('POST /api/v1/intercom with werift peers as browsers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ ip: '127.0.0.1' });
  });
  afterAll(() => stop(h));

  it('answers in m7s-jt1078\'s shape with the configured IP, and carries G.711A both ways', async () => {
    const talk = await collectTalk(h.bus);
    const client = await WebRtcTalkClient.connect({ baseUrl: h.base, group: [{ sim: SIM, channel: 1, audioPort: 12022 }] });
    expect(client.sessionPath).toMatch(/^\/api\/v1\/intercom\/sessions\/[0-9a-f-]{36}$/);
    const candidates = client.answerSdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates.every((c) => c.split(' ')[4] === '127.0.0.1')).toBe(true);
    expect(client.answerSdp).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 8\r$/m);
    expect(client.payloadType).toBe(8);

    // Browser → devices: 50 packets of 20 ms.
    const rtpStart = 0xffff_ff00;
    for (let i = 0; i < 50; i++) client.send(tone(i), 65500 + i, rtpStart + i * 160);
    await until(() => talk.audio.length === 50, 10_000, '50 talk messages');
    expect(talk.audio.map((a) => [a.sim, a.channel, a.codec, a.sequence, a.timestamp])).toEqual(Array.from({ length: 50 }, (_, i) => [SIM, 1, 'g711a', i, i * 20]));
    talk.audio.forEach((a, i) => expect(new Uint8Array(a.data)).toEqual(tone(i)));
    expect(new Set(talk.audio.map((a) => a.sessionId)).size).toBe(1);

    // Device → browser: talk frames back on the same peer connection, as RTP PCMA.
    const received: Array<{ pt: number; payload: Buffer; ts: number }> = [];
    client.onRtp((rtp) => received.push({ pt: rtp.header.payloadType, payload: rtp.payload, ts: rtp.header.timestamp }));
    for (let i = 0; i < 25; i++) publishUplink(h.bus, i);
    await until(() => received.length === 25, 10_000, '25 RTP packets at the browser');
    expect(received.every((r) => r.pt === 8)).toBe(true);
    received.forEach((r, i) => {
      expect(new Uint8Array(r.payload)).toEqual(tone(i));
      if (i > 0) expect((r.ts - received[i - 1]!.ts) >>> 0).toBe(160);
    });

    const sessions = (await (await fetch(`${h.base}/api/v1/intercom/sessions`)).json()) as Array<{ id: string; state: string; packetsIn: number; packetsOut: number }>;
    expect(sessions).toEqual([expect.objectContaining({ id: client.sessionPath.split('/').at(-1), state: 'connected', codec: 'g711a', packetsIn: 50, packetsOut: 25 })]);
    const text = await h.registry.metrics();
    expect(metric(text, 'jt1078_intercom_webrtc_sessions')).toBe(1);
    expect(metric(text, 'jt1078_intercom_webrtc_rtp_packets_total', 'direction="in"')).toBe(50);
    expect(metric(text, 'jt1078_intercom_webrtc_rtp_packets_total', 'direction="out"')).toBe(25);
    expect(metric(text, 'jt1078_intercom_webrtc_rtp_payload_bytes_total', 'direction="in"')).toBe(50 * 160);

    // DELETE ends it: peer closed, uplink subscription gone, counted.
    const del = await fetch(`${h.base}${client.sessionPath}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ state: 'ended', packetsIn: 50, packetsOut: 25 });
    expect(h.intercom.size).toBe(0);
    publishUplink(h.bus, 99);
    const after = await h.registry.metrics();
    expect(metric(after, 'jt1078_intercom_webrtc_sessions')).toBe(0);
    expect(metric(after, 'jt1078_intercom_webrtc_sessions_total', 'outcome="deleted"')).toBe(1);
    // Counted once: closing the peer connection does not count it again as closed.
    expect(metric(after, 'jt1078_intercom_webrtc_sessions_total', 'outcome="closed"')).toBe(0);
    expect(metric(after, 'jt1078_intercom_webrtc_rtp_packets_total', 'direction="out"')).toBe(25);
    expect((await fetch(`${h.base}${client.sessionPath}`, { method: 'DELETE' })).status).toBe(404);
    talk.stop();
    await client.close();
  });

  it('broadcasts each packet once to every group member, in G.711U, never a duplicate or a late packet', async () => {
    const a = await collectTalk(h.bus, SIM, 1);
    const b = await collectTalk(h.bus, '013800138001', 2);
    const client = await WebRtcTalkClient.connect({
      baseUrl: h.base,
      enterAudioEncoding: 7,
      group: [{ sim: SIM, channel: 1, audioPort: 12022 }, { sim: '013800138001', channel: 2, audioPort: 12023 }],
    });
    expect(client.payloadType).toBe(0);
    for (const seq of [1, 2, 3, 2, 5, 4, 6]) client.send(new Uint8Array(160).fill(seq), seq, seq * 160);
    await until(() => a.audio.length === 5 && b.audio.length === 5, 10_000, 'the broadcast');
    for (const got of [a, b]) {
      expect(got.audio.map((t) => [t.codec, t.data[0], t.sequence, t.timestamp])).toEqual([['g711u', 1, 0, 0], ['g711u', 2, 1, 20], ['g711u', 3, 2, 40], ['g711u', 5, 3, 80], ['g711u', 6, 4, 100]]);
    }
    a.stop();
    b.stop();
    await fetch(`${h.base}${client.sessionPath}`, { method: 'DELETE' });
    await client.close();
  });

  it('talks G.722 down, and up passes G.722 through and sends G.711 as PCMA', async () => {
    const talk = await collectTalk(h.bus);
    const client = await WebRtcTalkClient.connect({ baseUrl: h.base, enterAudioEncoding: 2, group: [{ sim: SIM, channel: 1, audioPort: 12022 }] });
    expect(client.payloadType).toBe(9);
    expect(client.answerSdp).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 9 8\r$/m);
    for (let i = 0; i < 5; i++) client.send(new Uint8Array(160).fill(0x40 + i), i, i * 160);
    await until(() => talk.audio.length === 5, 10_000, 'G.722 talk');
    expect(talk.audio.every((t) => t.codec === 'g722')).toBe(true);
    const received: Array<{ pt: number; payload: Buffer }> = [];
    client.onRtp((rtp) => received.push({ pt: rtp.header.payloadType, payload: rtp.payload }));
    publishUplink(h.bus, 0, 'g722', new Uint8Array(160).fill(0x11));
    publishUplink(h.bus, 1, 'g711a', tone(1));
    publishUplink(h.bus, 2, 'g711u', new Uint8Array(160).fill(0xff));
    await until(() => received.length === 3, 10_000, 'three uplink packets');
    expect(received.map((r) => r.pt)).toEqual([9, 8, 8]);
    expect(new Uint8Array(received[0]!.payload)).toEqual(new Uint8Array(160).fill(0x11));
    expect(new Uint8Array(received[1]!.payload)).toEqual(tone(1));
    // µ-law 0xff is silence: it becomes A-law silence, not noise.
    expect([...decodeAlaw(new Uint8Array(received[2]!.payload))].every((s) => Math.abs(s) <= 8)).toBe(true);
    talk.stop();
    await fetch(`${h.base}${client.sessionPath}`, { method: 'DELETE' });
    await client.close();
  });

  it('answers 400 naming the field, and the alias route takes the same body', async () => {
    const post = (route: string, body: unknown) => fetch(`${h.base}${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /not valid JSON/],
      [{ group: [{ sim: SIM, channel: 1, audioPort: 12022 }] }, /^sdp: /],
      [{ sdp: 'v=0\r\n', group: [] }, /^group: /],
      [{ sdp: 'v=0\r\n', group: [{ sim: 'abc', channel: 1, audioPort: 12022 }] }, /^group\[0\]\.sim: /],
      [{ sdp: 'v=0\r\n', group: [{ sim: SIM, channel: 1, audioPort: 12022 }], enterAudioEncoding: 8 }, /^enterAudioEncoding: /],
      [{ sdp: 'v=0\r\n', group: [{ sim: SIM, channel: 1, audioPort: 12022 }] }, /^sdp: expected one audio m-section/],
    ];
    for (const [body, error] of cases) {
      for (const route of ['/api/v1/intercom', '/jt1078/api/v1/intercom']) {
        const res = await post(route, body);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: string }).error).toMatch(error);
      }
    }
    expect(metric(await h.registry.metrics(), 'jt1078_intercom_webrtc_requests_rejected_total', 'reason="invalid"')).toBe(cases.length * 2);
    expect(h.intercom.size).toBe(0);
    const preflight = await fetch(`${h.base}/jt1078/api/v1/intercom`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });
});

describe('intercom limits', () => {
  it('needs the bearer token when one is configured', async () => {
    const h = await harness({ token: TOKEN });
    try {
      const group = [{ sim: SIM, channel: 1, audioPort: 12022 }];
      await expect(WebRtcTalkClient.connect({ baseUrl: h.base, group })).rejects.toMatchObject({ status: 401 });
      await expect(WebRtcTalkClient.connect({ baseUrl: h.base, group, token: 'wrong' })).rejects.toMatchObject({ status: 401 });
      expect((await fetch(`${h.base}/api/v1/intercom/sessions`)).status).toBe(401);
      const client = await WebRtcTalkClient.connect({ baseUrl: h.base, group, token: TOKEN });
      expect(h.intercom.size).toBe(1);
      expect(metric(await h.registry.metrics(), 'jt1078_intercom_webrtc_requests_rejected_total', 'reason="unauthorized"')).toBe(3);
      await client.close();
    } finally {
      await stop(h);
    }
  });

  it('refuses an offer beyond max sessions with 503 and Retry-After, and takes one again after a session ends', async () => {
    const h = await harness({ maxSessions: 1 });
    try {
      const group = [{ sim: SIM, channel: 1, audioPort: 12022 }];
      const first = await WebRtcTalkClient.connect({ baseUrl: h.base, group });
      await expect(WebRtcTalkClient.connect({ baseUrl: h.base, group })).rejects.toMatchObject({ status: 503 });
      const full = await fetch(`${h.base}/api/v1/intercom`, { method: 'POST', body: JSON.stringify({ sdp: 'v=0\r\n', group }) });
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('2');
      expect(((await full.json()) as { error: string }).error).toMatch(/maximum of 1 talk sessions/);
      expect(metric(await h.registry.metrics(), 'jt1078_intercom_webrtc_requests_rejected_total', 'reason="full"')).toBe(2);
      await fetch(`${h.base}${first.sessionPath}`, { method: 'DELETE' });
      const second = await WebRtcTalkClient.connect({ baseUrl: h.base, group });
      expect(h.intercom.size).toBe(1);
      await Promise.all([first.close(), second.close()]);
    } finally {
      await stop(h);
    }
  });

  it('ends a session whose browser never connects, counted as an ICE failure', async () => {
    const h = await harness({ connectTimeoutMs: 1000 });
    try {
      const pc = new RTCPeerConnection({ iceServers: [] });
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      // An offer whose only candidate is unreachable (TEST-NET-2), and no answer applied: nothing ever connects.
      const lines = pc.localDescription!.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:'));
      lines.splice(lines.findIndex((l) => l.startsWith('m=audio')) + 1, 0, 'a=candidate:1 1 udp 2122194687 198.51.100.1 9 typ host');
      const sdp = lines.join('\r\n');
      const res = await fetch(`${h.base}/api/v1/intercom`, { method: 'POST', body: JSON.stringify({ sdp, group: [{ sim: SIM, channel: 1, audioPort: 12022 }], enterAudioEncoding: 7 }) });
      expect(res.status).toBe(200);
      expect(h.intercom.size).toBe(1);
      await until(() => h.intercom.size === 0, 10_000, 'the connect timeout');
      const text = await h.registry.metrics();
      expect(metric(text, 'jt1078_intercom_webrtc_sessions_total', 'outcome="timeout"') + metric(text, 'jt1078_intercom_webrtc_sessions_total', 'outcome="ice-failed"')).toBe(1);
      expect(metric(text, 'jt1078_intercom_webrtc_failures_total', 'layer="ice"')).toBe(1);
      await pc.close();
    } finally {
      await stop(h);
    }
  });
});
