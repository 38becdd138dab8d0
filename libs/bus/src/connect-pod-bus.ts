/**
 * The bus of a cluster pod (`jt1078 ingest|packager|intercom|webhook`, or `start` joining a
 * cluster): NATS from the pod's config, with readiness blocked while the connection is down so
 * Kubernetes stops sending it work it cannot publish; messages it receives and cannot read are
 * logged (one line per kind and second at most) as well as counted.
 */
import { ErrorDigest, type Logger } from '@jt1078/runtime/logger';
import { NatsMediaBus } from './nats-media-bus.js';

/** The part of a started pod this needs (runtime's startPod result satisfies it). */
export interface BusPod {
  readonly name: string;
  readonly config: {
    readonly cluster: {
      readonly nats: { readonly url: string; readonly subject_root: string; readonly event_ack_wait_second: number };
      readonly replay?: { readonly window_second: number; readonly stream_max_bytes: number; readonly pod_max_bytes: number };
    };
  };
  readonly health: { block(name: string, reason: string): void; unblock(name: string): void };
  readonly log: Logger;
}

export function connectPodBus(pod: BusPod): Promise<NatsMediaBus> {
  const unreadable = new ErrorDigest(pod.log);
  const nats = pod.config.cluster.nats;
  const replay = pod.config.cluster.replay;
  return NatsMediaBus.connect({
    url: nats.url,
    root: nats.subject_root,
    ...(replay ? { windowMs: replay.window_second * 1000, windowMaxBytes: replay.stream_max_bytes, windowPodMaxBytes: replay.pod_max_bytes } : {}),
    eventAckWaitMs: nats.event_ack_wait_second * 1000,
    name: pod.name,
    onStatus: (s, detail) => {
      if (s === 'disconnected' || s === 'closed') pod.health.block('nats', detail ? `${s}: ${detail}` : s);
      else pod.health.unblock('nats');
    },
    onUnreadable: (reason, err) => unreadable.report(`bus:${reason}`, `bus dropped a received message it cannot read (${reason})`, { reason, err }),
  });
}
