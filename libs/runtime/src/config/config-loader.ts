/**
 * Loads the YAML configuration. m7s-jt1078 files start us unchanged: Monibuca matches keys
 * without case or underscores (`onjoinurl` = `on_join_url`, `audioports` = `audio_ports`), so we
 * do too, and its `global.http.listenaddr` becomes our HTTP address. Sections of other Monibuca
 * plugins (`mp4:`, `flv:` ...) are reported as ignored. Any other unknown key, or a value of the
 * wrong type, fails with its full key path and the expected type.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type Config } from './config-schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly kind = 'invalid-config';
  constructor(
    readonly problems: readonly string[],
    readonly source: string,
  ) {
    super(`invalid configuration (${source}):\n  ${problems.join('\n  ')}`);
  }
}

/** Keys from older m7s-jt1078 releases that mean one of ours (key path, canonical form). */
const LEGACY_ALIASES: Readonly<Record<string, string>> = {
  'jt1078.intercom.ports': 'audio_ports',
};

/** Top-level sections of other Monibuca plugins: a m7s config has them; we serve media ourselves. */
const MONIBUCA_SECTIONS = new Set([
  'mp4', 'flv', 'hls', 'rtmp', 'rtsp', 'webrtc', 'srt', 'gb28181', 'preview', 'debug', 'snap',
  'record', 'transcode', 'cascade', 'logrotate', 'monitor', 'stress', 'sei', 'crypto', 'onvif', 'hdl', 'console',
]);

const canon = (key: string) => key.toLowerCase().replace(/[_-]/g, '');

type AnySchema = z.ZodType;

/** Unwraps default/optional/pipe wrappers down to the schema that describes the value's shape. */
function core(schema: AnySchema): AnySchema {
  let s: AnySchema = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
      s = s.def.innerType as AnySchema;
    } else if (s instanceof z.ZodPipe) {
      s = s.def.in as AnySchema;
    } else {
      return s;
    }
  }
}

/** Rewrites keys to the schema's spelling (case/underscore-insensitive, plus legacy aliases). */
function canonicalise(value: unknown, schema: AnySchema, path: string): unknown {
  const shape = core(schema);
  if (shape instanceof z.ZodArray && Array.isArray(value)) {
    return value.map((v, i) => canonicalise(v, shape.def.element as AnySchema, `${path}[${i}]`));
  }
  if (!(shape instanceof z.ZodObject) || value === null || typeof value !== 'object' || Array.isArray(value)) {
    return value;
  }
  const known = new Map<string, string>();
  for (const key of Object.keys(shape.shape)) known.set(canon(key), key);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const childPath = path ? `${path}.${key}` : key;
    const target = LEGACY_ALIASES[childPath] ?? known.get(canon(key)) ?? key;
    const child = (shape.shape as Record<string, AnySchema>)[target];
    out[target] = child ? canonicalise(v, child, childPath) : v;
  }
  return out;
}

/** `origins` maps a key path to the environment variable that set it, so a bad value names it. */
function describeIssue(issue: z.core.$ZodIssue, origins: ReadonlyMap<string, string>): string[] {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${at ? `${at}.` : ''}${k}: unknown key`);
  }
  const from = [...origins].find(([key]) => at === key || at.startsWith(`${key}.`));
  return [`${at || '(root)'}: ${issue.message}${from ? ` (set by the environment: ${from[1]})` : ''}`];
}

export interface LoadedConfig {
  readonly config: Config;
  /** Non-fatal notes: ignored Monibuca sections, applied environment overrides. */
  readonly notes: readonly string[];
  /** The file has `jt1078.simulations` (even `[]`): otherwise `jt1078 start` adds the shipped one. */
  readonly simulationsGiven: boolean;
}

/** Environment variables that set cluster keys directly (DESIGN.md names NATS_URL/REDIS_URL). */
const ENV_KEYS: Readonly<Record<string, readonly string[]>> = {
  NATS_URL: ['cluster', 'nats', 'url'],
  NATS_SUBJECT_ROOT: ['cluster', 'nats', 'subject_root'],
  REDIS_URL: ['cluster', 'redis', 'url'],
  HTTP_ADDR: ['cluster', 'http', 'addr'],
  WEBHOOK_SECRET: ['cluster', 'webhook', 'secret'],
  POD_NAME: ['cluster', 'pod', 'name'],
  // Every port and address, so a second instance on one machine needs no config file.
  REALTIME_ADDR: ['jt1078', 'realtime', 'addr'],
  PLAYBACK_ADDR: ['jt1078', 'playback', 'addr'],
  AUDIO_PORTS: ['jt1078', 'intercom', 'audio_ports'],
  WEBRTC_PORT: ['jt1078', 'intercom', 'jt1078webrtc', 'port'],
  WEBRTC_IP: ['jt1078', 'intercom', 'jt1078webrtc', 'ip'],
  AUDIO_LISTEN_PORTS: ['cluster', 'intercom', 'listen_ports'],
  WEBRTC_UDP_PORTS: ['cluster', 'intercom', 'webrtc_udp_ports'],
};

/** The environment variable that sets a key path, for messages (`cluster.http.addr` → HTTP_ADDR). */
export function envVariableFor(keyPath: string): string | undefined {
  return Object.entries(ENV_KEYS).find(([, path]) => path.join('.') === keyPath)?.[0];
}

/** An environment value as the key wants it: a number for a port, `[lo, hi]` for a range ("12021-12050"). */
function envValue(path: readonly string[], value: string): unknown {
  const last = path[path.length - 1];
  if (last === 'port' && /^\d+$/.test(value.trim())) return Number(value);
  if (last?.endsWith('ports')) {
    const range = /^\s*(\d+)\s*[-,]\s*(\d+)\s*$/.exec(value);
    if (range) return [Number(range[1]), Number(range[2])];
    if (value.trim().startsWith('[')) return safeYaml(value);
  }
  return value;
}

function safeYaml(value: string): unknown {
  try {
    return parseYaml(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * Every cluster key can also come from the environment as `JT1078_CLUSTER__<SECTION>__<KEY>`
 * (e.g. `JT1078_CLUSTER__HLS__PART_MS=300`); values are read as YAML scalars.
 */
const ENV_PREFIX = 'JT1078_CLUSTER__';

function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** The value under `key` in a mapping, matching keys without case or underscores. */
function findKey(node: unknown, key: string): unknown {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  for (const [k, v] of Object.entries(node)) if (canon(k) === key) return v;
  return undefined;
}

export function parseConfig(
  text: string,
  source: string,
  env: Readonly<Record<string, string | undefined>> = {},
): LoadedConfig {
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : parseYaml(text);
  } catch (err) {
    throw new ConfigError([`YAML: ${(err as Error).message}`], source);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(['(root): expected a mapping of sections (jt1078:, cluster:)'], source);
  }
  const notes: string[] = [];
  const top: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const c = canon(key);
    if (c === 'jt1078' || c === 'cluster') {
      top[c] = value;
    } else if (c === 'global') {
      // Monibuca's global section: only its HTTP listen address means something here.
      // Spelled as Monibuca accepts it (listenaddr, listen_addr, listenAddr …), like every other key.
      const listen = findKey(findKey(value, 'http'), 'listenaddr');
      if (typeof listen === 'string') {
        const addr = listen.startsWith(':') ? `0.0.0.0${listen}` : listen;
        setPath(top, ['cluster', 'http', 'addr'], addr);
        notes.push(`global.http.listenaddr ${listen} used as cluster.http.addr`);
      }
    } else if (MONIBUCA_SECTIONS.has(c)) {
      notes.push(`section '${key}' belongs to another Monibuca plugin and is ignored`);
    } else {
      top[key] = value;
    }
  }
  const shaped = canonicalise(top, configSchema, '') as Record<string, unknown>;
  const simulationsGiven = findKey(shaped['jt1078'], 'simulations') !== undefined;
  const origins = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      setPath(shaped, path, envValue(path, value));
      origins.set(path.join('.'), `${name}=${value}`);
      notes.push(`${name} sets ${path.join('.')}`);
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = ['cluster', ...name.slice(ENV_PREFIX.length).toLowerCase().split('__')];
    setPath(shaped, path, safeYaml(value));
    origins.set(path.join('.'), `${name}=${value}`);
    notes.push(`${name} sets ${path.join('.')}`);
  }
  const result = configSchema.safeParse(canonicalise(shaped, configSchema, ''));
  if (!result.success) {
    throw new ConfigError(result.error.issues.flatMap((i) => describeIssue(i, origins)), source);
  }
  return { config: result.data, notes, simulationsGiven };
}

/** Reads FILE (or nothing: defaults) and applies the environment. */
export function loadConfig(
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LoadedConfig {
  if (file === undefined) return parseConfig('', 'defaults and environment', env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`], file);
  }
  return parseConfig(text, file, env);
}
