/**
 * A browser's side of a WebRTC talk, in werift, for tests and benchmarks that need many or
 * precisely timed peers (a Chromium test covers the real browser): offers the three talk codecs
 * in Chromium's order (G722, PCMU, PCMA), posts the offer to `/api/v1/intercom` with the m7s
 * body, applies the answer, and then sends RTP and hands over what it receives.
 */
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';
import type { TalkMember } from './webrtc-intercom-request.js';
import { RTP_CLOCK_RATE, TALK_CODECS } from './webrtc-talk-codec.js';

export interface WebRtcTalkClientOptions {
  /** The intercom's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly group: readonly TalkMember[];
  readonly enterAudioEncoding?: number;
  readonly token?: string;
  /** Waits this long for ICE and DTLS after the answer (default 10 s). */
  readonly connectTimeoutMs?: number;
}

export class TalkClientFailed extends Error {
  override readonly name = 'TalkClientFailed';
  readonly kind = 'talk-client-failed';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export class WebRtcTalkClient {
  /** `/api/v1/intercom/sessions/<id>`, from the answer's Location. */
  sessionPath = '';
  answerSdp = '';
  packetsReceived = 0;
  /** Packets werift failed to send (a peer connection closing under a send). */
  sendFailures = 0;
  #onRtp: ((rtp: RtpPacket) => void) | undefined;
  readonly #transceiver: RTCRtpTransceiver;

  private constructor(readonly pc: RTCPeerConnection) {
    this.#transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
    pc.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        this.packetsReceived++;
        this.#onRtp?.(rtp);
      }),
    );
  }

  static async connect(opts: WebRtcTalkClientOptions): Promise<WebRtcTalkClient> {
    const pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
      codecs: {
        audio: [TALK_CODECS[2], TALK_CODECS[7], TALK_CODECS[6]].map(
          (c) => new RTCRtpCodecParameters({ mimeType: `audio/${c.rtpName}`, clockRate: RTP_CLOCK_RATE, channels: 1, payloadType: c.payloadType }),
        ),
      },
    });
    const client = new WebRtcTalkClient(pc);
    try {
      await client.#negotiate(opts);
    } catch (err) {
      await pc.close();
      throw err;
    }
    return client;
  }

  async #negotiate(opts: WebRtcTalkClientOptions): Promise<void> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    while (this.pc.iceGatheringState !== 'complete') await this.pc.iceGatheringStateChange.asPromise();
    const res = await fetch(`${opts.baseUrl}/api/v1/intercom`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}) },
      body: JSON.stringify({ type: 'offer', sdp: this.pc.localDescription!.sdp, group: opts.group, ...(opts.enterAudioEncoding === undefined ? {} : { enterAudioEncoding: opts.enterAudioEncoding }) }),
    });
    const body = (await res.json()) as { type?: string; sdp?: string; error?: string };
    if (res.status !== 200 || body.type !== 'answer' || !body.sdp) throw new TalkClientFailed(`intercom answered ${res.status}: ${body.error ?? JSON.stringify(body)}`, res.status);
    this.sessionPath = res.headers.get('location') ?? '';
    this.answerSdp = body.sdp;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: body.sdp });
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    while (this.pc.connectionState !== 'connected') {
      if (this.pc.connectionState === 'failed' || Date.now() > deadline) throw new TalkClientFailed(`peer connection ${this.pc.connectionState} after the answer (${timeoutMs} ms)`);
      await Promise.race([this.pc.connectionStateChange.asPromise(), new Promise((r) => setTimeout(r, 100))]);
    }
  }

  /** The codec the answer put first: what this client sends with. */
  get payloadType(): number | undefined {
    return this.#transceiver.sender.codec?.payloadType;
  }

  onRtp(handler: (rtp: RtpPacket) => void): void {
    this.#onRtp = handler;
  }

  /** One RTP packet of talk audio (the sender sets SSRC and payload type). */
  send(payload: Uint8Array, sequenceNumber: number, timestamp: number): void {
    void this.#transceiver.sender.sendRtp(new RtpPacket(new RtpHeader({ sequenceNumber: sequenceNumber & 0xffff, timestamp: timestamp >>> 0 }), Buffer.from(payload))).catch(() => {
      this.sendFailures++;
    });
  }

  close(): Promise<void> {
    return this.pc.close();
  }
}
