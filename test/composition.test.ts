/**
 * Every `cluster.*` key reaches the service that honours it, in both compositions: a pod command
 * (`jt1078 ingest|packager|intercom|webhook`) and `jt1078 start` joining a cluster. Both build
 * their dependencies with pure mappings (the pod plans, startPlan); this sets each key to a
 * value of its own and finds it in each path's plan. A key the composition does not map itself
 * is read by the service from `config`: then each path must hand that service the very config
 * object it was given, and the service's own source must read the key. A new key in the schema
 * fails here until it is placed in one of the two tables.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, parseConfig, type Config } from '@jt1078/runtime/config';
import { podName } from '@jt1078/runtime/pod';
import { startPlan } from '../services/all-in-one/src/commands/start-plan.js';
import { ingestPodPlan } from '../services/ingest/src/ingest-command.js';
import { intercomPodPlan } from '../services/intercom/src/intercom-command.js';
import { packagerPodPlan } from '../services/packager/src/packager-command.js';
import { webhookPodPlan } from '../services/webhook/src/webhook-command.js';

const ROOT = path.resolve(import.meta.dirname, '..');

type Service = 'ingest' | 'packager' | 'intercom' | 'webhook';
const SERVICES: readonly Service[] = ['ingest', 'packager', 'intercom', 'webhook'];

/** Keys the compositions map into explicit dependencies: the value each plan must carry, and which pods need it. */
const MAPPED: Readonly<Record<string, { readonly value: unknown; readonly expect: (v: unknown) => boolean; readonly pods: readonly Service[] }>> = {
  'cluster.nats.url': { value: 'nats://composition.invalid:4999', expect: (v) => v === 'nats://composition.invalid:4999', pods: SERVICES },
  'cluster.nats.subject_root': { value: 'composition_root', expect: (v) => v === 'composition_root', pods: SERVICES },
  'cluster.nats.event_ack_wait_second': { value: 41, expect: (v) => v === 41_000, pods: SERVICES },
  'cluster.redis.url': { value: 'redis://composition.invalid:6399', expect: (v) => v === 'redis://composition.invalid:6399', pods: ['ingest', 'packager', 'intercom'] },
  // Also where each process serves HTTP (servePod, startAll; see PROCESS_READS).
  'cluster.http.addr': { value: '127.0.0.9:8089', expect: (v) => v === 'http://127.0.0.9:8089', pods: ['packager'] },
  'cluster.ingest.drain_grace_second': { value: 17, expect: (v) => v === 17_000, pods: ['ingest'] },
  'cluster.intercom.drain_grace_second': { value: 19, expect: (v) => v === 19_000, pods: ['intercom'] },
  'cluster.replay.window_second': { value: 23, expect: (v) => v === 23_000, pods: SERVICES },
  'cluster.replay.stream_max_bytes': { value: 1_234_567, expect: (v) => v === 1_234_567, pods: SERVICES },
  'cluster.replay.pod_max_bytes': { value: 7_654_321, expect: (v) => v === 7_654_321, pods: SERVICES },
  'cluster.packager.member_ttl_second': { value: 29, expect: (v) => v === 29_000, pods: ['packager'] },
  'cluster.pod.name': { value: 'composition-pod-7', expect: (v) => v === 'composition-pod-7', pods: SERVICES },
};

/** Keys a service reads from `config` itself: a value of their own, and the services that read them. */
const READ_BY_SERVICE: Readonly<Record<string, { readonly value: unknown; readonly services: readonly Service[] }>> = {
  'cluster.nats.outbox_max_events': { value: 4321, services: ['ingest', 'intercom'] },
  'cluster.webhook.secret': { value: 'whsec-composition', services: ['webhook'] },
  'cluster.webhook.timeout_second': { value: 7, services: ['webhook'] },
  'cluster.webhook.insecure_skip_verify': { value: true, services: ['webhook'] },
  'cluster.webhook.retry_schedule_second': { value: [1, 2, 3], services: ['webhook'] },
  'cluster.webhook.concurrency': { value: 33, services: ['webhook'] },
  'cluster.hls.part_ms': { value: 400, services: ['packager'] },
  'cluster.hls.segment_ms': { value: 2400, services: ['packager', 'ingest'] },
  'cluster.hls.signing_secret': { value: 'sign-composition', services: ['packager'] },
  'cluster.viewers.max_queue_kb': { value: 1000, services: ['packager'] },
  'cluster.viewers.flv_hevc': { value: 'codec-id-12', services: ['packager'] },
  'cluster.viewers.whep_max_sessions': { value: 77, services: ['packager'] },
  'cluster.viewers.whep_udp_ports': { value: [15000, 15010], services: ['packager'] },
  'cluster.viewers.whep_ip': { value: '10.9.8.7', services: ['packager'] },
  'cluster.ingest.max_connections': { value: 77, services: ['ingest'] },
  'cluster.ingest.idle_timeout_second': { value: 13, services: ['ingest'] },
  'cluster.ingest.max_unfinished_bytes_per_connection': { value: 3_145_728, services: ['ingest'] },
  'cluster.ingest.max_unfinished_bytes': { value: 5_242_880, services: ['ingest'] },
  'cluster.ingest.max_streams_per_connection': { value: 9, services: ['ingest'] },
  'cluster.ingest.registry_ttl_second': { value: 11, services: ['ingest'] },
  'cluster.intercom.listen_ports': { value: [14021, 14050], services: ['intercom'] },
  'cluster.intercom.connect_ttl_second': { value: 61, services: ['intercom'] },
  'cluster.intercom.lease_ttl_second': { value: 12, services: ['intercom'] },
  'cluster.intercom.webrtc_max_sessions': { value: 55, services: ['intercom'] },
  'cluster.intercom.webrtc_udp_ports': { value: [16000, 16100], services: ['intercom'] },
  'cluster.packager.replicas_per_stream': { value: 3, services: ['packager'] },
};

/** Read by the process composition itself (where it serves), in each path's own file. */
const PROCESS_READS: Readonly<Record<string, readonly string[]>> = {
  'cluster.http.addr': ['libs/runtime/src/pod/serve-pod.ts', 'services/all-in-one/src/commands/start.ts'],
};

/** Every leaf under `cluster`, from the schema's defaults (every key has one); arrays are leaves. */
function leaves(value: unknown, at: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [at];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, `${at}.${k}`));
}

/** A config with `key` set to `value` (the YAML keys' own names), parsed as the CLI parses it. */
function configWith(key: string, value: unknown): Config {
  const raw: Record<string, unknown> = { cluster: { nats: { url: 'nats://127.0.0.1:4222' }, redis: { url: 'redis://127.0.0.1:6379' } } };
  const parts = key.split('.');
  let node = raw;
  for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
  // JSON is YAML: the text goes through the loader as a config file's would.
  return parseConfig(JSON.stringify(raw), 'composition.test').config;
}

/** Every value in a plan outside the config objects it hands on. */
function planValues(plan: unknown): unknown[] {
  if (plan === null || typeof plan !== 'object') return [plan];
  if (Array.isArray(plan)) return [plan, ...plan.flatMap(planValues)];
  return Object.entries(plan).flatMap(([k, v]) => (k === 'config' ? [] : planValues(v)));
}

function podPlan(service: Service, config: Config): Record<string, unknown> {
  const name = podName(config);
  const plans = { ingest: ingestPodPlan, packager: packagerPodPlan, intercom: intercomPodPlan, webhook: webhookPodPlan };
  return { ...plans[service](config, name) };
}

function sourceOf(dir: string): string {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'bench') out.push(sourceOf(full));
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.bench.ts')) out.push(readFileSync(full, 'utf8'));
  }
  return out.join('\n');
}

describe('every cluster.* key reaches its service, from a pod command and from jt1078 start', () => {
  const savedPodIp = process.env['POD_IP'];
  beforeAll(() => {
    // The advertised packager URL prefers POD_IP over cluster.http.addr.
    delete process.env['POD_IP'];
  });
  afterAll(() => {
    if (savedPodIp !== undefined) process.env['POD_IP'] = savedPodIp;
  });

  it('places every key of the schema in exactly one table', () => {
    const keys = leaves(configSchema.parse({}).cluster, 'cluster').sort();
    const placed = [...Object.keys(MAPPED), ...Object.keys(READ_BY_SERVICE)].sort();
    expect(placed).toEqual(keys);
    expect(new Set(placed).size).toBe(placed.length);
  });

  for (const [key, m] of Object.entries(MAPPED)) {
    it(`${key}: mapped into the dependencies of ${m.pods.join(', ')} pods and of a clustered jt1078 start`, () => {
      const config = configWith(key, m.value);
      for (const service of m.pods) {
        expect(planValues(podPlan(service, config)).some(m.expect), `jt1078 ${service}`).toBe(true);
      }
      const start = startPlan(config);
      expect(start.mode).toBe('cluster');
      expect(planValues(start).some(m.expect), 'jt1078 start').toBe(true);
      // The default value does not pass: the key itself got there.
      const defaults = configWith('cluster.pod.name', key === 'cluster.pod.name' ? 'another-pod' : 'composition-pod-7');
      expect(planValues(startPlan(defaults)).some(m.expect), 'jt1078 start without the key').toBe(false);
    });
  }

  for (const [key, r] of Object.entries(READ_BY_SERVICE)) {
    it(`${key}: read by ${r.services.join(' and ')} from the config both paths hand over`, () => {
      const config = configWith(key, r.value);
      const [, section, leaf] = key.split('.') as [string, string, string];
      expect((config.cluster as Record<string, Record<string, unknown>>)[section]![leaf]).toEqual(r.value);
      const start = startPlan(config);
      for (const service of r.services) {
        expect((podPlan(service, config)[service] as { config: Config }).config, `jt1078 ${service}`).toBe(config);
        expect(start[service].config, `jt1078 start → ${service}`).toBe(config);
        const source = sourceOf(path.join(ROOT, 'services', service, 'src'));
        expect(source, `services/${service} reads ${section}`).toMatch(new RegExp(`\\b${section}\\b`));
        expect(source, `services/${service} reads ${leaf}`).toMatch(new RegExp(`\\b${leaf}\\b`));
      }
    });
  }

  it('cluster.http.addr: where each path serves HTTP', () => {
    for (const [key, files] of Object.entries(PROCESS_READS)) {
      for (const f of files) expect(readFileSync(path.join(ROOT, f), 'utf8'), f).toContain(key);
    }
  });

  it('a clustered jt1078 start gives each service exactly what its pod gives it', () => {
    const config = configWith('cluster.pod.name', 'composition-pod-7');
    const start = startPlan(config);
    for (const service of SERVICES) expect(start[service], service).toEqual(podPlan(service, config)[service]);
    expect(start.cluster?.bus).toEqual(podPlan('webhook', config)['bus']);
    expect(start.cluster?.stores).toEqual(podPlan('ingest', config)['stores']);
  });

  it('a single-process jt1078 start has no cluster, shares no streams and lets nothing wait on SIGTERM', () => {
    const config = parseConfig('cluster: { ingest: { drain_grace_second: 17 }, intercom: { drain_grace_second: 19 } }', 'composition.test').config;
    const start = startPlan(config);
    expect(start.mode).toBe('single-process');
    expect(start.cluster).toBeUndefined();
    expect(start.packager.membership).toBeUndefined();
    expect([start.ingest.drainGraceMs, start.intercom.drainGraceMs]).toEqual([0, 0]);
    expect(start.webhook.flushOnStopMs).toBeGreaterThan(0);
  });
});
