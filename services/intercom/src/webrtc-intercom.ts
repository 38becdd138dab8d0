/**
 * The WebRTC talk sessions of one process: offers in, answers out, a bound on how many run at
 * once, and their end on DELETE or shutdown. Every default is here, checked once at start.
 *
 * UDP: werift binds one socket per host address for each peer connection and takes a port
 * range, not a single port (`icePortRange`, min < max); it has no way to share one socket
 * between peer connections (no ICE UDP mux as pion has). So the port m7s-jt1078 uses for all
 * browsers, `jt1078webrtc.port` (12020), is the start of a range: by default
 * `[port, port + 4 × maxSessions − 1]`, room for four host addresses a session (eth0, loopback,
 * an IPv6 or two). Expose that range (UDP) wherever `jt1078webrtc.ip` points.
 */
import { isIP } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { FrameBus, TalkBus } from '@jt1078/bus';
import type { AudioDecodeOptions } from '@jt1078/media/audio';
import { ErrorDigest, type Logger } from '@jt1078/runtime/logger';
import type { Registry } from '@jt1078/runtime/metrics';
import { AdvertisedAddressInvalid, SerialWork } from '@jt1078/webrtc';
import { BusyReason, IntercomBusy } from './webrtc-intercom-busy.js';
import { IntercomRequestInvalid, parseIntercomRequest } from './webrtc-intercom-request.js';
import { OfferRejection, SessionOutcome, createWebRtcMetrics, type WebRtcMetrics } from './webrtc-metrics.js';
import { BatchedTalkPublisher } from './webrtc-talk-publisher.js';
import { WebRtcTalkSession, type PeerSettings, type TalkSessionSummary } from './webrtc-talk-session.js';

export interface WebRtcIntercomOptions {
  readonly bus: FrameBus & TalkBus;
  readonly registry: Registry;
  readonly log: Logger;
  /** `jt1078.intercom.jt1078webrtc`: the first UDP port, and the IP written into answers ('' = werift's own addresses). */
  readonly webrtc: { readonly port: number; readonly ip: string };
  /** Sessions at once (default 256); the next offer gets 503. */
  readonly maxSessions?: number;
  /** UDP ports for candidates (default `[port, port + 4 × maxSessions − 1]`, capped at 65535). */
  readonly udpPorts?: readonly [number, number];
  /** A session that has not connected this long after its answer ends (default 30 s). */
  readonly connectTimeoutMs?: number;
  /** A connected session whose browser stays unreachable (ICE consent lost) this long ends (default 5 s). */
  readonly disconnectGraceMs?: number;
  /** Added to the interfaces' addresses for candidates (default loopback: browsers and peers on this machine). */
  readonly extraHostAddresses?: readonly string[];
  /** How a device's audio is read, per SIM (`jt1078.audio`). */
  readonly audioOptions?: (sim: string) => AudioDecodeOptions;
}

export class TalkSessionNotFound extends Error {
  override readonly name = 'TalkSessionNotFound';
  readonly kind = 'talk-session-not-found';
  constructor(readonly id: string) {
    super(`no talk session ${id} on this process`);
  }
}

export class WebRtcOptionsInvalid extends Error {
  override readonly name = 'WebRtcOptionsInvalid';
  readonly kind = 'webrtc-options-invalid';
}

const DEFAULT_MAX_SESSIONS = 256;
const UDP_PORTS_PER_SESSION = 4;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_DISCONNECT_GRACE_MS = 5_000;
/** werift gathers host candidates only (no STUN/TURN): milliseconds normally. */
const GATHER_TIMEOUT_MS = 5_000;

export class WebRtcIntercom {
  readonly metrics: WebRtcMetrics;
  readonly maxSessions: number;
  readonly peer: PeerSettings;
  readonly #sessions = new Map<string, WebRtcTalkSession>();
  /** Offers being answered: they count against maxSessions before they are sessions. */
  #opening = 0;
  #closing = false;
  readonly #gathering = new SerialWork();
  readonly #digest: ErrorDigest;
  readonly #talk: BatchedTalkPublisher;

  constructor(private readonly opts: WebRtcIntercomOptions) {
    const { port, ip } = opts.webrtc;
    if (ip !== '' && isIP(ip) === 0) throw new AdvertisedAddressInvalid(ip);
    this.maxSessions = opts.maxSessions ?? DEFAULT_MAX_SESSIONS;
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1) throw new WebRtcOptionsInvalid(`maxSessions ${this.maxSessions} must be a positive integer`);
    const udpPorts = opts.udpPorts ?? [port, Math.min(65535, port + UDP_PORTS_PER_SESSION * this.maxSessions - 1)];
    if (!(Number.isInteger(udpPorts[0]) && Number.isInteger(udpPorts[1]) && udpPorts[0] >= 1 && udpPorts[0] < udpPorts[1] && udpPorts[1] <= 65535)) {
      throw new WebRtcOptionsInvalid(`WebRTC UDP ports [${udpPorts[0]}, ${udpPorts[1]}]: expected 1 <= min < max <= 65535 (werift takes a range)`);
    }
    this.peer = {
      udpPorts,
      advertisedIp: ip,
      extraHostAddresses: opts.extraHostAddresses ?? ['127.0.0.1'],
      ipv6: isIP(ip) !== 4,
      connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      disconnectGraceMs: opts.disconnectGraceMs ?? DEFAULT_DISCONNECT_GRACE_MS,
      gatherTimeoutMs: GATHER_TIMEOUT_MS,
    };
    this.metrics = createWebRtcMetrics(opts.registry);
    this.#digest = new ErrorDigest(opts.log);
    this.#talk = new BatchedTalkPublisher(opts.bus, (audio, err) => {
      this.metrics.drops.inc({ direction: 'in', reason: 'publish-failed' });
      this.#digest.report(`publish:${audio.sessionId}`, 'talk audio not published', { session: audio.sessionId, sim: audio.sim, channel: audio.channel, err: err.message });
    });
  }

  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Answers an offer body (`{type, sdp, group, enterAudioEncoding}`). Throws
   * IntercomRequestInvalid (400, the field named) or IntercomBusy (503).
   */
  async offer(body: unknown): Promise<{ readonly id: string; readonly answer: string }> {
    let request;
    try {
      request = parseIntercomRequest(body);
    } catch (err) {
      this.metrics.offersRejected.inc({ reason: OfferRejection.invalid });
      throw err;
    }
    if (this.#closing) throw this.#busy(new IntercomBusy(BusyReason.closing, 'the intercom is shutting down'));
    if (this.#sessions.size + this.#opening >= this.maxSessions) {
      throw this.#busy(new IntercomBusy(BusyReason.full, `this intercom holds its maximum of ${this.maxSessions} talk sessions`));
    }
    const id = randomUUID();
    const started = performance.now();
    this.#opening++;
    try {
      const { session, answer } = await WebRtcTalkSession.open(id, request, {
        bus: this.opts.bus,
        talk: this.#talk,
        metrics: this.metrics,
        log: this.opts.log,
        digest: this.#digest,
        peer: this.peer,
        gatherSerially: (work) => this.#gatherSerially(work),
        ...(this.opts.audioOptions ? { audioOptions: this.opts.audioOptions } : {}),
        onEnd: (s) => {
          if (this.#sessions.delete(s.id)) this.metrics.sessions.set(this.#sessions.size);
        },
      });
      this.#sessions.set(id, session);
      this.metrics.sessions.set(this.#sessions.size);
      this.metrics.setupSeconds.observe((performance.now() - started) / 1000);
      // Shutdown began while this one was being answered: it ends with the rest.
      if (this.#closing) void session.end(SessionOutcome.shutdown);
      return { id, answer };
    } catch (err) {
      const reason = err instanceof IntercomBusy ? err.reason : err instanceof IntercomRequestInvalid ? OfferRejection.invalid : OfferRejection.setupFailed;
      this.metrics.offersRejected.inc({ reason });
      if (reason === OfferRejection.setupFailed) this.opts.log.warn({ err: (err as Error).message, group: request.group }, 'a WebRTC talk could not be set up');
      throw err;
    } finally {
      this.#opening--;
    }
  }

  #busy(err: IntercomBusy): IntercomBusy {
    this.metrics.offersRejected.inc({ reason: err.reason });
    return err;
  }

  #gatherSerially<T>(work: () => Promise<T>): Promise<T> {
    return this.#gathering.run(work);
  }

  sessions(): TalkSessionSummary[] {
    return [...this.#sessions.values()].map((s) => s.summary());
  }

  /** Ends one session (DELETE); its summary as it ended. */
  async end(id: string, outcome: SessionOutcome = SessionOutcome.deleted): Promise<TalkSessionSummary> {
    const session = this.#sessions.get(id);
    if (!session) throw new TalkSessionNotFound(id);
    await session.end(outcome);
    return session.summary();
  }

  /** Refuses new offers and ends every session (shutdown). */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#sessions.values()].map((s) => s.end(SessionOutcome.shutdown)));
    this.#talk.flush();
    this.#digest.close();
  }
}
