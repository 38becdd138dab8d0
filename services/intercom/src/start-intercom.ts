/**
 * The intercom's device side, composed: the audio port listeners and the lease API on the
 * caller's router. The same in `jt1078 intercom` (NatsMediaBus + RedisPortLeaseStore) and in
 * the embedded `jt1078 start` (MemoryMediaBus + MemoryPortLeaseStore). The WebRTC bridge meets
 * it only through the bus (talk.down, media.talk); its routes go on the same router, through
 * `extraRoutes` or by the caller.
 */
import { audioOptionsFor, type Config } from '@jt1078/runtime/config';
import type { HttpRouter } from '@jt1078/runtime/http';
import type { Logger } from '@jt1078/runtime/logger';
import type { Registry } from '@jt1078/runtime/metrics';
import { EventOutbox, registerEventOutboxGauge, type EventEnvelope } from '@jt1078/bus';
import { formatCallbackTime } from '@jt1078/runtime/time';
import { MemoryTalkRegistry, RedisPortLeaseStore, RedisTalkRegistry, type PortLeaseStore, type TalkRegistry } from '@jt1078/store';
import { AudioPortMap } from './audio-port-map.js';
import { AudioPortServer } from './audio-port-server.js';
import { createIntercomMetrics, type IntercomMetrics } from './intercom-metrics.js';
import { Jt808Gateway } from './jt808-gateway.js';
import { addLeaseRoutes } from './lease-routes.js';
import type { IntercomBus } from './talk-connection.js';
import { talkEventId } from './talk-event-id.js';

/** How often expired talks (their pod died) are looked for: a leave goes out within lease TTL + this. */
const TALK_REAP_MS = 1000;
/** On SIGTERM, after the talks are closed, their leaves get this long to reach JetStream. */
const OUTBOX_DRAIN_MS = 8000;

/** The address devices are sent to, when neither config nor the caller says. */
export const DEFAULT_PUBLIC_ADDRESS = '127.0.0.1';

export interface StartIntercomOptions {
  readonly config: Config;
  readonly bus: IntercomBus;
  readonly leases: PortLeaseStore;
  readonly log: Logger;
  readonly metricsRegistry: Registry;
  /** The lease routes are added to it; the caller serves it. */
  readonly router: HttpRouter;
  /** This pod's name: the holder of the leases it grants. */
  readonly pod: string;
  /**
   * The address devices reach (0x9101 server IP, `address` of the lease), unless
   * `jt1078.intercom.jt1078webrtc.ip` is set: a string, or a function asked on every lease
   * (e.g. the Kubernetes node's external IP, cached by its resolver). Default 127.0.0.1.
   */
  readonly publicAddress?: string | (() => Promise<string>);
  /** More routes for the same router (the WebRTC bridge), registered after the lease routes. */
  readonly extraRoutes?: (router: HttpRouter) => void;
  /** Listen address of the audio ports (default 0.0.0.0). */
  readonly host?: string;
  /** Talks with deadlines (default: beside the leases, in Redis when they are). */
  readonly talks?: TalkRegistry;
}

export interface RunningIntercom {
  /** The ports listened on, in order of the leased ports they serve (empty when disabled). */
  ports(): number[];
  readonly server: AudioPortServer | undefined;
  readonly metrics: IntercomMetrics;
  /** SIGTERM: stop accepting, give talks `graceMs`, then close them with their leave events. */
  drain(graceMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startIntercom(opts: StartIntercomOptions): Promise<RunningIntercom> {
  const { config, log } = opts;
  const intercom = config.jt1078.intercom;
  const own = config.cluster.intercom;
  const metrics = createIntercomMetrics(opts.metricsRegistry);
  if (!intercom.enable) {
    log.info('intercom disabled (jt1078.intercom.enable: false): no audio ports, no lease API');
    return { ports: () => [], server: undefined, metrics, drain: async () => {}, stop: async () => {} };
  }
  const map = new AudioPortMap(intercom.audio_ports, own.listen_ports);
  // Audio joins and leaves go through an outbox: kept and retried while NATS cannot store them.
  const outbox = new EventOutbox({
    bus: opts.bus,
    maxEvents: config.cluster.nats.outbox_max_events,
    onOutage: (down, err) => (down
      ? log.warn({ err }, 'audio events cannot be stored (NATS): holding them in the outbox, retrying until JetStream acknowledges')
      : log.info({ pending: outbox.pending }, 'audio events are stored again: the outbox is catching up')),
    onLost: (e, reason) => {
      metrics.events.inc({ action: e.action, result: reason });
      log.error({ id: e.id, action: e.action, port: e.streamKey, reason }, 'audio event lost: the outbox could not keep it');
    },
  });
  registerEventOutboxGauge(outbox, opts.metricsRegistry, 'jt1078_intercom_event_outbox', 'Audio join/leave events');
  const source = opts.bus;
  const bus: IntercomBus = {
    publishFrame: (frame) => source.publishFrame(frame),
    pressure: () => source.pressure(),
    subscribeTalk: (filter, handler) => source.subscribeTalk(filter, handler),
    publishEvent: (event) => outbox.publishEvent(event),
  };
  const talks = opts.talks ?? (opts.leases instanceof RedisPortLeaseStore ? new RedisTalkRegistry(opts.leases.redis, config.cluster.nats.subject_root) : new MemoryTalkRegistry());
  const reaper = setInterval(() => void reapTalks(), TALK_REAP_MS);
  reaper.unref();
  /** Every talk whose pod stopped renewing it gets its leave, from whichever intercom reaps it first. */
  async function reapTalks(): Promise<void> {
    let expired;
    try {
      expired = await talks.reapExpired();
    } catch (err) {
      log.warn({ err }, 'talk reap failed; will retry');
      return;
    }
    for (const t of expired) {
      const leave: EventEnvelope = {
        id: talkEventId(t.connectionId, t.port, 'leave'),
        type: 'audio',
        action: 'leave',
        streamKey: String(t.port),
        body: { ...t.joinBody, endTime: formatCallbackTime(new Date()), err: `intercom pod ${t.pod || '(unknown)'} lost: its talk was not renewed for ${own.lease_ttl_second}s` },
        occurredAt: Date.now(),
      };
      log.warn({ port: t.port, pod: t.pod, connectionId: t.connectionId }, 'talk expired (its pod stopped renewing): emitting its audio leave');
      if (outbox.take(leave).accepted) metrics.closed.inc({ reason: 'pod-lost' });
    }
  }
  const drainOutbox = async (timeoutMs: number) => {
    const pending = outbox.pending;
    const { stored, lost } = await outbox.drain(timeoutMs);
    if (pending > 0 || lost > 0) log[lost > 0 ? 'error' : 'info']({ pending, stored, lost }, 'audio event outbox drained');
  };
  const server = new AudioPortServer({
    ports: map,
    ...(opts.host ? { host: opts.host } : {}),
    bus,
    talks,
    pod: opts.pod,
    leases: opts.leases,
    leaseTtlMs: own.lease_ttl_second * 1000,
    overtimeMs: intercom.overtime_second * 1000,
    metrics,
    log,
    audioOptions: (sim) => audioOptionsFor(config.jt1078.audio, sim),
  });
  await server.listen();
  const configured = intercom.jt1078webrtc.ip;
  const given = opts.publicAddress ?? DEFAULT_PUBLIC_ADDRESS;
  const publicAddress = configured ? async () => configured : typeof given === 'string' ? async () => given : given;
  addLeaseRoutes(opts.router, {
    leases: opts.leases,
    ports: intercom.audio_ports,
    connectTtlMs: own.connect_ttl_second * 1000,
    holder: opts.pod,
    publicAddress,
    token: intercom.token,
    jt808: intercom.jt808_url ? new Jt808Gateway(intercom.jt808_url) : undefined,
    endTalk: (port, err) => server.endTalk(port, err),
    metrics,
    log,
  });
  opts.extraRoutes?.(opts.router);
  return {
    ports: () => server.listening(),
    server,
    metrics,
    drain: async (graceMs) => {
      clearInterval(reaper);
      await server.drain(graceMs);
      await drainOutbox(OUTBOX_DRAIN_MS);
    },
    stop: async () => {
      clearInterval(reaper);
      await server.close();
      await drainOutbox(2000);
    },
  };
}
