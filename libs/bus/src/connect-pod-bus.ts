/**
 * The bus of a cluster process (`jt1078 ingest|packager|intercom|webhook`, or `start` joining a
 * cluster): NATS from the config, with readiness blocked while the connection is down so
 * Kubernetes stops sending it work it cannot publish; messages it receives and cannot read are
 * logged (one line per kind and second at most) as well as counted. podBusOptions is the one
 * reading of the `cluster.nats` and `cluster.replay` keys; every composition connects through
 * connectPodBus.
 */
import { ErrorDigest, type Logger } from '@jt1078/runtime/logger';
import { NatsMediaBus, type NatsMediaBusOptions } from './nats-media-bus.js';

/** The config keys this reads (runtime's Config satisfies it). */
export interface BusConfig {
  readonly cluster: {
    readonly nats: { readonly url: string; readonly subject_root: string; readonly event_ack_wait_second: number };
    readonly replay: { readonly window_second: number; readonly stream_max_bytes: number; readonly pod_max_bytes: number };
  };
}

export type PodBusOptions = Omit<NatsMediaBusOptions, 'onStatus' | 'onUnreadable' | 'url'> & { readonly url: string };

/** The process around the bus: its readiness (runtime's HealthState) and its log. */
export interface BusProcess {
  readonly health: { block(name: string, reason: string): void; unblock(name: string): void };
  readonly log: Logger;
}

/** What a process connects with, named `name` in the server's monitoring. */
export function podBusOptions(config: BusConfig, name: string): PodBusOptions {
  const { nats, replay } = config.cluster;
  return {
    url: nats.url,
    root: nats.subject_root,
    windowMs: replay.window_second * 1000,
    windowMaxBytes: replay.stream_max_bytes,
    windowPodMaxBytes: replay.pod_max_bytes,
    eventAckWaitMs: nats.event_ack_wait_second * 1000,
    name,
  };
}

export function connectPodBus(options: PodBusOptions, process: BusProcess): Promise<NatsMediaBus> {
  const unreadable = new ErrorDigest(process.log);
  return NatsMediaBus.connect({
    ...options,
    onStatus: (s, detail) => {
      if (s === 'disconnected' || s === 'closed') process.health.block('nats', detail ? `${s}: ${detail}` : s);
      else process.health.unblock('nats');
    },
    onUnreadable: (reason, err) => unreadable.report(`bus:${reason}`, `bus dropped a received message it cannot read (${reason})`, { reason, err }),
  });
}
