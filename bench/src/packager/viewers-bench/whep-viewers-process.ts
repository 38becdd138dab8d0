/**
 * The WHEP viewers of the viewers benchmark, in a process of their own (viewers.bench.ts forks
 * it, several times), so their SRTP and RTP work is not counted against the packager nor slows the bench's
 * FLV readers: werift peers that offer what Chromium offers first (H.264 packetization-mode 1,
 * Opus before PCMA), POST to `/whep/<stream>`, apply the answer, and count what arrives — video
 * frames (RTP packets with the marker bit) and audio packets.
 *
 * Messages from the parent: `{ viewers: n }` opens peers until n are connected and answers
 * `{ connected, failed }`; `'count'` answers `{ videoFrames, audioPackets }` so far; `'stop'`
 * DELETEs every session, closes the peers, and exits.
 */
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

export interface WhepViewersArgs {
  /** `http://host:port/whep/<streamPath>` */
  readonly url: string;
}

export interface WhepViewersCount {
  readonly videoFrames: number;
  readonly audioPackets: number;
}

export interface WhepViewersOpened {
  readonly connected: number;
  readonly failed: number;
  readonly lastError?: string;
}

/** Peers negotiated at once: enough to fill 200 quickly, few enough that ICE checks do not time out on a loaded machine. */
const CONCURRENT_OPENS = 8;
const CONNECT_TIMEOUT_MS = 20_000;

const args = JSON.parse(process.argv[2] ?? '{}') as WhepViewersArgs;
const peers: Array<{ pc: RTCPeerConnection; location: string }> = [];
let videoFrames = 0;
let audioPackets = 0;
let failed = 0;
let lastError: string | undefined;

async function openViewer(): Promise<void> {
  const pc = new RTCPeerConnection({
    iceServers: [],
    iceAdditionalHostAddresses: ['127.0.0.1'],
    codecs: {
      video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }], parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' })],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 }), new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 })],
    },
  });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      if (track.kind === 'audio') audioPackets++;
      else if (rtp.header.marker) videoFrames++;
    }),
  );
  try {
    await pc.setLocalDescription(await pc.createOffer());
    while (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.asPromise();
    const res = await fetch(args.url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
    const answer = await res.text();
    if (res.status !== 201) throw new Error(`WHEP answered ${res.status}: ${answer.slice(0, 200)}`);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    while (pc.connectionState !== 'connected') {
      if (pc.connectionState === 'failed' || Date.now() > deadline) throw new Error(`peer connection ${pc.connectionState} after the answer`);
      await Promise.race([pc.connectionStateChange.asPromise(), new Promise((r) => setTimeout(r, 100))]);
    }
    peers.push({ pc, location: new URL(res.headers.get('location') ?? '', args.url).toString() });
  } catch (err) {
    failed++;
    lastError = (err as Error).message;
    await pc.close().catch(() => undefined);
  }
}

async function openUntil(n: number): Promise<void> {
  while (peers.length < n) {
    const batch = Math.min(CONCURRENT_OPENS, n - peers.length);
    const before = failed;
    await Promise.all(Array.from({ length: batch }, () => openViewer()));
    // A batch that only failed will fail again: report rather than loop.
    if (failed - before === batch) break;
  }
}

process.on('message', (m: unknown) => {
  if (m === 'count') {
    process.send?.({ videoFrames, audioPackets } satisfies WhepViewersCount);
  } else if (m === 'stop') {
    void (async () => {
      await Promise.all(peers.map(async (p) => {
        await fetch(p.location, { method: 'DELETE' }).catch(() => undefined);
        await p.pc.close().catch(() => undefined);
      }));
      process.exit(0);
    })();
  } else if (typeof m === 'object' && m !== null && 'viewers' in m) {
    void openUntil((m as { viewers: number }).viewers).then(() => process.send?.({ connected: peers.length, failed, ...(lastError ? { lastError } : {}) } satisfies WhepViewersOpened));
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.('ready');
