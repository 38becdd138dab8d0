/**
 * The webhook service's composition, as `jt1078 webhook` and `jt1078 start` run it: a durable
 * consumer of the events stream feeding the dispatcher, with the URLs of the m7s-jt1078 config
 * keys, metrics for every outcome, and its shutdown step. It reads every key it needs from
 * `config` itself; webhookOptions adds what depends on how the process runs.
 */
import type { MediaBus } from '@jt1078/bus';
import type { Config } from '@jt1078/runtime/config';
import type { RunningService } from '@jt1078/runtime/lifecycle';
import type { Logger } from '@jt1078/runtime/logger';
import { Counter, Histogram, type Registry } from '@jt1078/runtime/metrics';
import type { ProcessMode } from '@jt1078/runtime/pod';
import { CallbackPoster } from './callback-poster.js';
import { RetrySchedule } from './retry-schedule.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookSigner } from './webhook-signer.js';

export interface WebhookOptions {
  readonly config: Config;
  /** On stop, callbacks still pending get this long to be posted first (0: leave them to JetStream). */
  readonly flushOnStopMs?: number;
}

/** How long the in-process bus's pending callbacks may delay the end of `jt1078 start`. */
const SINGLE_PROCESS_FLUSH_MS = 5000;

/**
 * On the in-process bus the leave events the drain just emitted live nowhere else: the relay
 * posts them before the process goes. In a cluster they wait in JetStream for another relay.
 */
export function webhookOptions(config: Config, mode: ProcessMode): WebhookOptions {
  return { config, flushOnStopMs: mode === 'cluster' ? 0 : SINGLE_PROCESS_FLUSH_MS };
}

export interface WebhookRelayOptions extends WebhookOptions {
  readonly bus: MediaBus;
  readonly log: Logger;
  readonly metricsRegistry: Registry;
  /** Durable consumer name: every webhook pod shares it, so each event goes to one of them. */
  readonly durable?: string;
  readonly schedule?: RetrySchedule;
}

/** Keys whose URL is empty: their events are acknowledged without a callback (logged at start). */
export function missingCallbackKeys(config: Config): string[] {
  const j = config.jt1078;
  const keys: Array<[string, string]> = [
    ['jt1078.realtime.on_join_url', j.realtime.on_join_url],
    ['jt1078.realtime.on_leave_url', j.realtime.on_leave_url],
    ['jt1078.playback.on_join_url', j.playback.on_join_url],
    ['jt1078.playback.on_leave_url', j.playback.on_leave_url],
    ['jt1078.intercom.on_join_url', j.intercom.on_join_url],
    ['jt1078.intercom.on_leave_url', j.intercom.on_leave_url],
  ];
  return keys.filter(([, url]) => url === '').map(([key]) => key);
}

export interface RunningWebhookRelay extends RunningService {
  readonly dispatcher: WebhookDispatcher;
  stop(): void;
}

/** How often a flushing stop looks at the pending callbacks. */
const FLUSH_POLL_MS = 50;

export async function startWebhookRelay(opts: WebhookRelayOptions): Promise<RunningWebhookRelay> {
  const { config } = opts;
  const j = config.jt1078;
  const missing = missingCallbackKeys(config);
  if (missing.length > 0) opts.log.info({ keys: missing }, 'no callback URL for these keys: their events are not posted');
  const outcomes = new Counter({ name: 'jt1078_webhook_outcomes_total', help: 'Callback outcomes: delivered, retried, dead-lettered, skipped, unsettled (ack failed: handed out again)', labelNames: ['outcome', 'type', 'action'], registers: [opts.metricsRegistry] });
  const latency = new Histogram({ name: 'jt1078_webhook_delivery_seconds', help: 'From an event reaching the relay to its delivery', buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300], registers: [opts.metricsRegistry] });
  const duplicates = new Counter({ name: 'jt1078_webhook_redelivered_total', help: 'Events delivered again after a relay restart (at-least-once)', registers: [opts.metricsRegistry] });
  const poster = new CallbackPoster({ timeoutMs: config.cluster.webhook.timeout_second * 1000, insecureSkipVerify: config.cluster.webhook.insecure_skip_verify });
  const dispatcher = new WebhookDispatcher({
    urls: {
      realtime: { join: j.realtime.on_join_url, leave: j.realtime.on_leave_url },
      playback: { join: j.playback.on_join_url, leave: j.playback.on_leave_url },
      audio: { join: j.intercom.on_join_url, leave: j.intercom.on_leave_url },
    },
    poster,
    schedule: opts.schedule ?? new RetrySchedule(config.cluster.webhook.retry_schedule_second.map((s) => s * 1000)),
    concurrency: config.cluster.webhook.concurrency,
    signer: config.cluster.webhook.secret ? new WebhookSigner(config.cluster.webhook.secret) : undefined,
    deadLetter: (l) => opts.bus.publishDeadLetter({ ...l.event, occurredAt: Date.now() }, l.reason),
    log: opts.log,
    onOutcome: (o) => {
      outcomes.inc({ outcome: o.kind, type: o.event.type, action: o.event.action });
      if (o.kind === 'delivered') {
        latency.observe(o.latencyMs / 1000);
        if (o.duplicate) duplicates.inc();
      }
    },
  });
  const unsubscribe = await opts.bus.consumeEvents(opts.durable ?? 'jt1078-webhook', (p) => dispatcher.push(p));
  const stop = () => {
    unsubscribe();
    dispatcher.close();
    poster.close();
  };
  const flushMs = opts.flushOnStopMs ?? 0;
  return {
    dispatcher,
    stop,
    // Unacknowledged events go back to JetStream and are redelivered to another relay.
    steps: [{
      name: 'stop relay',
      run: async () => {
        const deadline = Date.now() + flushMs;
        while (dispatcher.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, FLUSH_POLL_MS));
        stop();
      },
      timeoutMs: flushMs + 10_000,
    }],
  };
}
