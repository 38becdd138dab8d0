/**
 * One WHEP viewer (draft-ietf-wish-whep): a werift peer connection that only sends — H.264 on
 * the video transceiver, and on the audio one (when the offer has an audio m-line) the first of
 * Opus, PCMA and PCMU in the offer's order (RFC 3264 §6.1: the answerer should follow the
 * offerer's preference) — stamping its own RTP sequence numbers onto the stream's shared payloads.
 *
 * On connecting, the viewer gets the stream's last GOP at once, its frames one RTP tick apart
 * ending at the newest one's real timestamp: the browser decodes and shows the newest picture
 * straight away, and live frames continue at their own timestamps with no added delay.
 *
 * werift as DESIGN.md found it: no STUN servers, loopback among the host addresses, RTP written
 * before DTLS connects is lost (nothing is sent before then). The session ends — peer closed,
 * removed from the stream, counted by reason — on ICE failure or a quiet peer past the grace,
 * DTLS closing or failing, no connection within the connect timeout, DELETE, or shutdown.
 */
import type { Logger } from '@jt1078/runtime/logger';
import { advertiseAddress, gatheringDone, guardWeriftSockets, type SerialWork, type WeriftPeerSettings } from '@jt1078/webrtc';
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, useSdesMid, type RTCRtpTransceiver } from 'werift';
import type { ViewerEndReason } from './viewer-sink.js';
import type { RtpAudioFormat } from '@jt1078/media/rtp';
import type { AudioUnit, VideoUnit, WhepStream, WhepStreamViewer } from './whep-stream.js';

/** A WHEP viewer's peer: only what every werift peer of the project has (libs/webrtc). */
export type WhepPeerSettings = WeriftPeerSettings;

export interface WhepSessionDeps {
  readonly stream: WhepStream;
  readonly peer: WhepPeerSettings;
  readonly gathering: SerialWork;
  readonly log: Logger;
  readonly onBytes: (n: number) => void;
  readonly onEnd: (session: WhepSession, reason: ViewerEndReason | 'connect-timeout' | 'ice-failed') => void;
}

export class WhepSdpRejected extends Error {
  override readonly name = 'WhepSdpRejected';
  readonly kind = 'whep-sdp-rejected';
}

/**
 * The audio a viewer can get, whatever the stream's codec (the stream converts): Opus as RFC 7587
 * §7 writes it (opus/48000/2, mono packets are fine), G.711 with its static payload types
 * (RFC 3551 table 4; werift needs static ones given up front).
 */
function audioCodecs(): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: 'minptime=10;useinbandfec=1' }),
    new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
    new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
  ];
}

const AUDIO_FORMATS: Readonly<Record<string, RtpAudioFormat>> = { 'audio/opus': 'opus', 'audio/pcma': 'pcma', 'audio/pcmu': 'pcmu' };

function videoCodec(): RTCRtpCodecParameters {
  // Constrained baseline is what every WebRTC H.264 receiver accepts in the answer; the decoder
  // takes the device's main/high profile streams all the same.
  return new RTCRtpCodecParameters({
    mimeType: 'video/H264', clockRate: 90000,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
    parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  });
}

export class WhepSession implements WhepStreamViewer {
  readonly #pc: RTCPeerConnection;
  readonly #video: RTCRtpTransceiver;
  #audio: RTCRtpTransceiver | undefined;
  #audioFormat: RtpAudioFormat | undefined;
  #videoSeq = Math.floor(Math.random() * 0x10000);
  #audioSeq = Math.floor(Math.random() * 0x10000);
  #connected = false;
  #ended = false;
  #connectTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  readonly #log: Logger;

  constructor(
    readonly id: string,
    private readonly deps: WhepSessionDeps,
  ) {
    this.#log = deps.log.child({ whep: id, streamPath: deps.stream.streamPath });
    const { peer } = deps;
    this.#pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: [...peer.extraHostAddresses],
      icePortRange: [peer.udpPorts[0], peer.udpPorts[1]],
      codecs: {
        video: [videoCodec()],
        audio: audioCodecs(),
      },
      headerExtensions: { video: [useSdesMid()], audio: [useSdesMid()] },
    });
    this.#video = this.#pc.addTransceiver('video', { direction: 'sendonly' });
    this.#pc.iceConnectionStateChange.subscribe((state) => {
      if (state === 'failed') this.end('ice-failed');
      else if (state === 'disconnected') this.#graceTimer ??= setTimeout(() => this.end('ice-failed'), peer.disconnectGraceMs).unref();
      else if (state === 'connected' || state === 'completed') {
        clearTimeout(this.#graceTimer);
        this.#graceTimer = undefined;
      }
    });
    this.#pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected' && !this.#connected) {
        this.#connected = true;
        clearTimeout(this.#connectTimer);
        deps.stream.add(this);
        this.#log.info('WHEP viewer connected');
      } else if (state === 'failed' || state === 'closed') {
        this.end(state === 'failed' ? 'error' : 'client-closed');
      }
    });
  }

  /** What the viewer's audio transceiver negotiated (undefined before the answer, or with no audio offered). */
  get audioFormat(): RtpAudioFormat | undefined {
    return this.#audioFormat;
  }

  /** The SDP answer to `offer`; throws WhepSdpRejected for an offer werift cannot answer. */
  async answer(offer: string): Promise<string> {
    const { peer } = this.deps;
    // An audio transceiver only for an offer with audio: one the offer lacks would be left unanswered.
    if (/^m=audio /m.test(offer)) this.#audio = this.#pc.addTransceiver('audio', { direction: 'sendonly' });
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offer });
    } catch (err) {
      const reason = (err as Error).message === 'negotiate codecs failed.' ? 'it offers neither H.264 nor any of Opus, PCMA, PCMU for a media line' : (err as Error).message;
      throw new WhepSdpRejected(`the offer cannot be answered: ${reason}`);
    }
    // werift sends with the first codec the offer lists among ours.
    this.#audioFormat = this.#audio ? AUDIO_FORMATS[this.#audio.codecs[0]?.mimeType.toLowerCase() ?? ''] : undefined;
    await this.deps.gathering.run(async () => {
      await this.#pc.setLocalDescription(await this.#pc.createAnswer());
      await gatheringDone(this.#pc, peer.gatherTimeoutMs);
    });
    if (!this.#video.codecs.some((c) => c.mimeType.toLowerCase() === 'video/h264')) throw new WhepSdpRejected('the offer has no H.264 (packetization-mode 1) to receive video in');
    for (const dtls of this.#pc.dtlsTransports) {
      dtls.onStateChange.subscribe((state) => {
        if (state === 'closed') this.end('client-closed');
        else if (state === 'failed') this.end('error');
      });
    }
    guardWeriftSockets(this.#pc, (err) => this.#log.warn({ err: err.message }, 'WHEP UDP socket error'));
    const local = this.#pc.localDescription;
    if (!local) throw new Error('werift made no local description');
    this.#connectTimer = setTimeout(() => this.end('connect-timeout'), peer.connectTimeoutMs).unref();
    return advertiseAddress(local.sdp, peer.advertisedIp);
  }

  start(gop: readonly VideoUnit[]): void {
    // The cached GOP one tick apart, ending at the newest frame's own timestamp (see above).
    const last = gop[gop.length - 1]?.rtpTimestamp ?? 0;
    gop.forEach((unit, i) => this.#sendVideo(unit, (last - (gop.length - 1 - i)) >>> 0));
  }

  video(unit: VideoUnit): void {
    this.#sendVideo(unit, unit.rtpTimestamp);
  }

  audio(unit: AudioUnit): void {
    if (!this.#audio || this.#ended) return;
    const header = new RtpHeader({ sequenceNumber: this.#audioSeq, timestamp: unit.rtpTimestamp, marker: false, payloadType: 0 });
    this.#audioSeq = (this.#audioSeq + 1) & 0xffff;
    this.#send(this.#audio, header, unit.payload);
  }

  #sendVideo(unit: VideoUnit, timestamp: number): void {
    if (this.#ended) return;
    for (const p of unit.payloads) {
      const header = new RtpHeader({ sequenceNumber: this.#videoSeq, timestamp, marker: p.marker, payloadType: 0 });
      this.#videoSeq = (this.#videoSeq + 1) & 0xffff;
      this.#send(this.#video, header, p.payload);
    }
  }

  #send(transceiver: RTCRtpTransceiver, header: RtpHeader, payload: Uint8Array): void {
    // werift sets SSRC and payload type from the negotiated sender; the payload is not copied.
    void transceiver.sender.sendRtp(new RtpPacket(header, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength))).catch(() => this.end('error'));
    this.deps.onBytes(payload.length);
  }

  end(reason: ViewerEndReason | 'connect-timeout' | 'ice-failed'): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#graceTimer);
    this.deps.stream.remove(this);
    this.deps.onEnd(this, reason);
    this.#log.info({ reason }, 'WHEP viewer ended');
    void this.#pc.close().catch(() => undefined);
  }
}
