/**
 * WHEP follows HLS's ownership among packager replicas sharing streams: two `jt1078 packager`
 * processes with `replicas_per_stream: 1` and UDP ranges of their own, one stream from a
 * simulated device through a `jt1078 ingest`. A werift viewer that POSTs its offer to the replica
 * that does not own the stream gets the owner's answer (candidates in the owner's UDP range), the
 * session and its media live on the owner (its WHEP viewer gauge, RTP received), and DELETE sent
 * to the non-owner ends the session on the owner.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture } from '@jt1078/jt1078';
import { DeviceFleet, loadCapturePackets } from '@jt1078/svc-simulator';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { rendezvousOwners } from '../services/packager/src/rendezvous-owners.js';
import { launchPod, type Jt1078Pod } from './support/jt1078-pod.js';
import { freePort, freePortRange, uniquePrefix, until } from './support/services.js';

const CAPTURE = path.resolve(import.meta.dirname, '../testdata/media/h264-g711u.bin');
const SIM = '013900000019';
const STREAM = `live/jt1078-${SIM}-1`;
const UDP_PORTS = 64;

async function whepViewers(pod: Jt1078Pod): Promise<number> {
  const text = await (await pod.get('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith('jt1078_packager_viewers{') && l.includes('protocol="whep"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function members(pod: Jt1078Pod): Promise<number> {
  const text = await (await pod.get('/metrics')).text();
  return Number(text.split('\n').find((l) => /^jt1078_packager_members[ {]/.test(l))?.split(' ').at(-1) ?? NaN);
}

describe('WHEP among packager replicas: the owner answers and sends, a non-owner forwards the exchange', () => {
  const root = uniquePrefix('whepowners');
  let ingest: Jt1078Pod;
  const packagers: Array<{ pod: Jt1078Pod; udp: number }> = [];
  let fleet: DeviceFleet;

  beforeAll(async () => {
    const live = await freePort();
    ingest = await launchPod({ service: 'ingest', name: 'ingest-1', root, jt1078: [`  realtime: { addr: '127.0.0.1:${live}' }`, `  playback: { addr: '127.0.0.1:${await freePort()}' }`] });
    fleet = new DeviceFleet({ host: '127.0.0.1', port: live, capture: loadCapturePackets(readCapture(CAPTURE)), sims: [SIM], loop: true, rampMs: 0 });
    void fleet.start();
    for (const name of ['packager-a', 'packager-b']) {
      const udp = await freePortRange(UDP_PORTS);
      const cluster = ['  packager: { replicas_per_stream: 1, member_ttl_second: 3 }', `  viewers: { whep_udp_ports: [${udp}, ${udp + UDP_PORTS - 1}] }`];
      packagers.push({ pod: await launchPod({ service: 'packager', name, root, cluster }), udp });
    }
    await until(async () => (await Promise.all(packagers.map((p) => members(p.pod)))).every((n) => n === 2), 20_000, 'two members seen by each replica');
  }, 150_000);

  afterAll(async () => {
    fleet?.stop();
    await Promise.all([...packagers.map((p) => p.pod.terminate()), ingest?.terminate()]);
  });

  it('POST and DELETE sent to the non-owner reach the owner; the answer\'s candidates and the media are the owner\'s', async () => {
    const [ownerName] = rendezvousOwners(STREAM, packagers.map((p) => ({ name: p.pod.name, url: p.pod.url })), 1).map((o) => o.name);
    const owner = packagers.find((p) => p.pod.name === ownerName)!;
    const other = packagers.find((p) => p.pod.name !== ownerName)!;

    const pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
      codecs: {
        video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' })],
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 })],
      },
    });
    let videoPackets = 0;
    let audioPackets = 0;
    pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => (track.kind === 'video' ? videoPackets++ : audioPackets++)));
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    try {
      await pc.setLocalDescription(await pc.createOffer());
      while (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.asPromise();
      // The stream is live once the ingest has registered it: until then the lookup answers 404.
      let res: Response | undefined;
      await until(async () => {
        res = await fetch(`${other.pod.url}/whep/${STREAM}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
        if (res.status !== 404) return true;
        await res.text();
        return false;
      }, 30_000, 'the stream to be live');
      const answer = await res!.text();
      expect(res!.status, answer).toBe(201);
      const location = res!.headers.get('location')!;
      expect(location).toMatch(new RegExp(`^/whep/${STREAM}/[0-9a-f-]{36}$`));
      const ports = [...answer.matchAll(/^a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ host/gm)].map((m) => Number(m[1]));
      expect(ports.length).toBeGreaterThan(0);
      for (const port of ports) expect(port >= owner.udp && port < owner.udp + UDP_PORTS, `candidate port ${port} in the owner's range ${owner.udp}…`).toBe(true);

      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      await until(async () => videoPackets > 100 && audioPackets > 50, 30_000, 'video and audio RTP from the owner');
      expect(await whepViewers(owner.pod)).toBe(1);
      expect(await whepViewers(other.pod)).toBe(0);

      const del = await fetch(`${other.pod.url}${location}`, { method: 'DELETE' });
      expect(del.status).toBe(200);
      await until(async () => (await whepViewers(owner.pod)) === 0, 10_000, 'the owner to end the session');
      expect((await fetch(`${other.pod.url}${location}`, { method: 'DELETE' })).status).toBe(404);
    } finally {
      await pc.close();
    }
  }, 120_000);
});
