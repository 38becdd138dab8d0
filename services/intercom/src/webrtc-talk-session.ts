/**
 * One browser talking with one device (or broadcasting to several) over a werift peer
 * connection: the thin shell around the pure parts. Browser RTP → DownlinkClock → one TalkAudio
 * per group member on `talk.down.<sim>.<channel>` (published per event-loop turn,
 * webrtc-talk-publisher.ts); the first member's talk frames (`media.talk.<sim>.<channel>`) →
 * UplinkPacketizer → RTP on the same audio transceiver, so the browser hears the device. A
 * broadcast hears its first member only: mixing devices is not something a talk needs.
 *
 * werift, as DESIGN.md found it: no STUN servers (its default one is unreachable), loopback
 * added to the host addresses, RTP written before DTLS connects is silently lost (so it is
 * counted here as `not-connected` instead). The session ends — peer closed, every subscription
 * removed, counted by outcome — on ICE failure (also a browser gone quiet past the grace),
 * DTLS failure, the browser closing, no connection within the connect timeout, DELETE, or
 * shutdown; end() is idempotent.
 */
import type { FrameBus, FrameEnvelope, Unsubscribe } from '@jt1078/bus';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import type { ErrorDigest, Logger } from '@jt1078/runtime/logger';
import { advertiseAddress, gatheringDone, guardWeriftSockets, type WeriftPeerSettings } from '@jt1078/webrtc';
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, useSdesMid, type RTCRtpTransceiver } from 'werift';
import { DownlinkClock } from './webrtc-downlink-clock.js';
import { BusyReason, IntercomBusy } from './webrtc-intercom-busy.js';
import { IntercomRequestInvalid, type IntercomRequest } from './webrtc-intercom-request.js';
import { SessionOutcome, type WebRtcMetrics } from './webrtc-metrics.js';
import { preferTalkCodec } from './webrtc-offer-sdp.js';
import { RTP_CLOCK_RATE, TALK_CODECS, type TalkCodec } from './webrtc-talk-codec.js';
import type { BatchedTalkPublisher } from './webrtc-talk-publisher.js';
import { UplinkPacketizer } from './webrtc-uplink-packetizer.js';

export interface PeerSettings extends WeriftPeerSettings {
  /** Gather IPv6 candidates too (off when the advertised IP is IPv4: they would be dropped). */
  readonly ipv6: boolean;
}

export interface TalkSessionDeps {
  /** Where the first group member's talk frames come from. */
  readonly bus: FrameBus;
  /** Where the browser's audio goes, one message per group member. */
  readonly talk: BatchedTalkPublisher;
  readonly metrics: WebRtcMetrics;
  readonly log: Logger;
  readonly digest: ErrorDigest;
  readonly peer: PeerSettings;
  /** Runs candidate gathering one session at a time (werift probes, then binds, a free port: two at once can pick the same one). */
  readonly gatherSerially: <T>(work: () => Promise<T>) => Promise<T>;
  readonly onEnd: (session: WebRtcTalkSession, outcome: SessionOutcome) => void;
  /** How a device's audio is read, per SIM (`jt1078.audio`). */
  readonly audioOptions?: (sim: string) => AudioDecodeOptions;
}

export interface TalkSessionSummary {
  readonly id: string;
  readonly codec: string;
  readonly group: IntercomRequest['group'];
  readonly state: string;
  readonly openedAt: string;
  readonly packetsIn: number;
  readonly packetsOut: number;
}

/** RTP payload bytes in one packet we accept from a browser (a 20 ms G.711 packet is 160; 120 ms of G.722 is 960). */
const MAX_RTP_PAYLOAD_BYTES = 1500;

function codecParameters(codec: TalkCodec): RTCRtpCodecParameters {
  // Static payload types must be set up front (werift's PeerConfig note).
  return new RTCRtpCodecParameters({ mimeType: `audio/${codec.rtpName}`, clockRate: RTP_CLOCK_RATE, channels: 1, payloadType: codec.payloadType });
}

/** The talk codec first; on a G.722 talk PCMA after it, for device audio there is no G.722 encoder for (webrtc-uplink-packetizer.ts). */
function answerCodecs(codec: TalkCodec): TalkCodec[] {
  return codec.codec === 'g722' ? [codec, TALK_CODECS[6]] : [codec];
}

export class WebRtcTalkSession {
  readonly openedAt = new Date();
  packetsIn = 0;
  packetsOut = 0;
  #ended = false;
  #connected = false;
  readonly #pc: RTCPeerConnection;
  readonly #transceiver: RTCRtpTransceiver;
  readonly #codecs: readonly TalkCodec[];
  readonly #clock = new DownlinkClock();
  readonly #uplink: UplinkPacketizer;
  #uplinkSequence = Math.floor(Math.random() * 0x10000);
  #unsubscribeUplink: Unsubscribe | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  readonly #log: Logger;
  #ending: Promise<void> | undefined;
  /** The per-packet counters' children, looked up once (a label lookup per packet adds up at 50 packets/s × sessions). */
  readonly #counters;

  private constructor(
    readonly id: string,
    readonly request: IntercomRequest,
    private readonly deps: TalkSessionDeps,
  ) {
    this.#log = deps.log.child({ session: id });
    const { rtpPackets, rtpBytes } = deps.metrics;
    this.#counters = {
      packetsIn: rtpPackets.labels({ direction: 'in' }), bytesIn: rtpBytes.labels({ direction: 'in' }),
      packetsOut: rtpPackets.labels({ direction: 'out' }), bytesOut: rtpBytes.labels({ direction: 'out' }),
    };
    this.#codecs = answerCodecs(request.codec);
    this.#uplink = new UplinkPacketizer(this.#codecs, Math.floor(Math.random() * 0x1_0000_0000), deps.audioOptions?.(request.group[0]!.sim));
    const { peer } = deps;
    this.#pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: [...peer.extraHostAddresses],
      icePortRange: [peer.udpPorts[0], peer.udpPorts[1]],
      iceUseIpv6: peer.ipv6,
      codecs: { audio: this.#codecs.map(codecParameters), video: [] },
      // The mid extension routes RTP from a browser whose offer names no SSRC (RFC 8843 §9.2).
      headerExtensions: { audio: [useSdesMid()], video: [] },
    });
    this.#transceiver = this.#pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.#pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => this.#downlink(rtp));
    });
    this.#pc.iceConnectionStateChange.subscribe((state) => this.#iceState(state));
    this.#pc.connectionStateChange.subscribe((state) => this.#connectionState(state));
  }

  /** Answers `request`'s offer; the session is live (subscribed, timers running) once this resolves. Throws IntercomRequestInvalid for an offer werift cannot answer. */
  static async open(id: string, request: IntercomRequest, deps: TalkSessionDeps): Promise<{ session: WebRtcTalkSession; answer: string }> {
    const offer = preferTalkCodec(request.sdp, request.codec);
    const session = new WebRtcTalkSession(id, request, deps);
    try {
      const answer = await session.#answer(offer);
      return { session, answer };
    } catch (err) {
      await session.end(SessionOutcome.setupFailed);
      throw err;
    }
  }

  async #answer(offer: string): Promise<string> {
    const { peer, bus } = this.deps;
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offer });
    } catch (err) {
      throw new IntercomRequestInvalid('sdp', `werift cannot answer this offer: ${(err as Error).message}`);
    }
    await this.deps.gatherSerially(async () => {
      await this.#pc.setLocalDescription(await this.#pc.createAnswer());
      await gatheringDone(this.#pc, peer.gatherTimeoutMs);
    });
    // A browser closing sends a DTLS close_notify; werift closes its DTLS transport on it but
    // leaves the peer connection's state alone, so the session watches the transport itself.
    for (const dtls of this.#pc.dtlsTransports) {
      dtls.onStateChange.subscribe((state) => {
        if (state === 'closed') void this.end(SessionOutcome.closed);
        else if (state === 'failed') void this.end(SessionOutcome.dtlsFailed);
      });
    }
    guardWeriftSockets(this.#pc, (err) => this.deps.digest.report(`${this.id}:socket`, 'WebRTC UDP socket error', { session: this.id, err: err.message }));
    const local = this.#pc.localDescription;
    if (!local) throw new Error('werift made no local description');
    const answer = advertiseAddress(local.sdp, peer.advertisedIp);
    // werift logs and skips an address it cannot bind: with the range used up there is no candidate.
    if (!/^a=candidate:/m.test(answer)) {
      throw new IntercomBusy(BusyReason.noUdpPort, `no free UDP port in [${peer.udpPorts[0]}, ${peer.udpPorts[1]}] for the answer's candidates`);
    }
    const uplinkFrom = this.request.group[0]!;
    const unsubscribe = await bus.subscribeFrames({ streamKind: 'talk', sim: uplinkFrom.sim, channel: uplinkFrom.channel }, (frame) => this.#uplinkFrame(frame));
    if (this.#ended) {
      unsubscribe();
      throw new Error('the session ended while its answer was being made');
    }
    this.#unsubscribeUplink = unsubscribe;
    this.#connectTimer = setTimeout(() => void this.end(SessionOutcome.timeout), peer.connectTimeoutMs);
    this.#connectTimer.unref();
    return answer;
  }

  get state(): string {
    return this.#ended ? 'ended' : this.#pc.connectionState;
  }

  get connected(): boolean {
    return this.#connected;
  }

  summary(): TalkSessionSummary {
    return {
      id: this.id, codec: this.request.codec.codec, group: this.request.group, state: this.state,
      openedAt: this.openedAt.toISOString(), packetsIn: this.packetsIn, packetsOut: this.packetsOut,
    };
  }

  #iceState(state: string): void {
    if (state === 'failed') {
      void this.end(SessionOutcome.iceFailed);
    } else if (state === 'disconnected') {
      this.#graceTimer ??= setTimeout(() => void this.end(SessionOutcome.iceFailed), this.deps.peer.disconnectGraceMs).unref();
    } else if (state === 'connected' || state === 'completed') {
      clearTimeout(this.#graceTimer);
      this.#graceTimer = undefined;
    }
  }

  #connectionState(state: string): void {
    if (state === 'connected') {
      this.#connected = true;
      clearTimeout(this.#connectTimer);
      this.#log.info({ codec: this.request.codec.codec, group: this.request.group }, 'WebRTC talk connected');
    } else if (state === 'failed') {
      const ice = this.#pc.iceConnectionState;
      void this.end(ice === 'connected' || ice === 'completed' ? SessionOutcome.dtlsFailed : SessionOutcome.iceFailed);
    } else if (state === 'closed') {
      void this.end(SessionOutcome.closed);
    }
  }

  #drop(direction: 'in' | 'out', reason: string, context: Record<string, unknown> = {}): void {
    this.deps.metrics.drops.inc({ direction, reason });
    this.deps.digest.report(`${this.id}:${direction}:${reason}`, `talk audio ${direction === 'in' ? 'from the browser' : 'to the browser'} dropped: ${reason}`, { session: this.id, ...context });
  }

  #downlink(rtp: RtpPacket): void {
    if (this.#ended) return;
    const { metrics, talk } = this.deps;
    const codec = this.#codecs.find((c) => c.payloadType === rtp.header.payloadType);
    if (!codec) return this.#drop('in', 'unknown-payload-type', { payloadType: rtp.header.payloadType });
    if (rtp.payload.length === 0) return this.#drop('in', 'empty');
    if (rtp.payload.length > MAX_RTP_PAYLOAD_BYTES) return this.#drop('in', 'oversize', { bytes: rtp.payload.length });
    const timing = this.#clock.next(rtp.header);
    if (typeof timing === 'string') return this.#drop('in', timing, { rtpSequence: rtp.header.sequenceNumber });
    this.packetsIn++;
    this.#counters.packetsIn.inc();
    this.#counters.bytesIn.inc(rtp.payload.length);
    for (const member of this.request.group) {
      talk.publish({ sim: member.sim, channel: member.channel, codec: codec.codec, timestamp: timing.timestamp, sequence: timing.sequence, sessionId: this.id, data: rtp.payload });
    }
    metrics.talkPublished.inc(this.request.group.length);
  }

  #uplinkFrame(frame: FrameEnvelope): void {
    if (this.#ended) return;
    if (!this.#connected) return this.#drop('out', 'not-connected');
    const packets = this.#uplink.push(frame);
    if (typeof packets === 'string') return this.#drop('out', packets, { codec: frame.codec });
    const { sender } = this.#transceiver;
    for (const p of packets) {
      // werift stamps every packet with `sender.codec`'s payload type; a G.722 talk's PCMA
      // packets need PCMA's, so the sender's codec follows the packet's (both negotiated).
      if (sender.codec?.payloadType !== p.codec.payloadType) {
        const negotiated = this.#transceiver.codecs.find((c) => c.payloadType === p.codec.payloadType);
        if (!negotiated) return this.#drop('out', 'codec-not-negotiated', { codec: p.codec.codec });
        sender.codec = negotiated;
      }
      const header = new RtpHeader({ payloadType: p.codec.payloadType, sequenceNumber: this.#uplinkSequence, timestamp: p.timestamp, marker: p.marker });
      this.#uplinkSequence = (this.#uplinkSequence + 1) & 0xffff;
      void sender.sendRtp(new RtpPacket(header, Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength))).catch((err: unknown) => {
        this.#drop('out', 'send-failed', { err: (err as Error).message });
      });
      this.packetsOut++;
      this.#counters.packetsOut.inc();
      this.#counters.bytesOut.inc(p.payload.length);
    }
  }

  /** Closes the peer connection and every subscription; the first outcome given is the one counted. */
  end(outcome: SessionOutcome): Promise<void> {
    if (this.#ending) return this.#ending;
    // Set before any work: closing the peer connection fires its state events synchronously,
    // and they call end() again.
    let done!: () => void;
    this.#ending = new Promise<void>((resolve) => (done = resolve));
    void this.#end(outcome).finally(done);
    return this.#ending;
  }

  /** Never rejects: closing the peer connection is the one call that can fail, and it is caught. */
  async #end(outcome: SessionOutcome): Promise<void> {
    this.#ended = true;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#graceTimer);
    this.#unsubscribeUplink?.();
    this.#unsubscribeUplink = undefined;
    const { metrics } = this.deps;
    metrics.sessionsEnded.inc({ outcome });
    if (outcome === SessionOutcome.iceFailed || outcome === SessionOutcome.timeout) metrics.failures.inc({ layer: 'ice' });
    if (outcome === SessionOutcome.dtlsFailed) metrics.failures.inc({ layer: 'dtls' });
    try {
      await this.#pc.close();
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'closing the peer connection failed');
    }
    this.#log.info({ outcome, packetsIn: this.packetsIn, packetsOut: this.packetsOut }, 'WebRTC talk ended');
    this.deps.onEnd(this, outcome);
  }
}
