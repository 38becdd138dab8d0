/**
 * The configuration schema: the m7s-jt1078 `jt1078:` section with its keys unchanged (DESIGN.md
 * "Config"), and our `cluster:` section. Every field has its default here, so an empty file
 * (or none) is a working single-process setup.
 */
import { z } from 'zod';
import { HostPortError, HostPortFault, parseHostPort } from './host-port.js';

/** What parseHostPort says about an address, in the words a config check uses. */
const HOST_PORT_PROBLEM: Readonly<Record<HostPortFault, string>> = {
  [HostPortFault.Syntax]: 'expected "host:port" (host may be empty for all interfaces)',
  // A port past 65535 would otherwise reach listen() and fail there naming no key.
  [HostPortFault.Port]: 'the port must be 0..65535',
};

const hostPort = z.string().superRefine((s, ctx) => {
  try {
    parseHostPort(s);
  } catch (err) {
    if (!(err instanceof HostPortError)) throw err;
    ctx.addIssue({ code: 'custom', message: HOST_PORT_PROBLEM[err.kind] });
  }
});

const callbackUrl = z.union([z.literal(''), z.url({ protocol: /^https?$/ })]);

const debugCapture = z.strictObject({
  enable: z.boolean().default(false),
  dir: z.string().default('./save/'),
  save_time_second: z.number().int().min(1).default(30),
});

function streamEndpoint(addr: string, prefix: string) {
  return z.strictObject({
    addr: hostPort.default(addr),
    on_join_url: callbackUrl.default(''),
    on_leave_url: callbackUrl.default(''),
    prefix: z.string().min(1).default(prefix),
    /** Close a stream that has had viewers and has had none for this long; 0 = never. */
    overtime_second: z.number().int().min(0).default(0),
    debug: debugCapture.default(debugCapture.parse({})),
  });
}

const realtime = streamEndpoint('0.0.0.0:12051', 'live/jt1078');
const playback = streamEndpoint('0.0.0.0:12052', 'live/jt1079');

const portRange = z
  .tuple([z.number().int().min(1).max(65535), z.number().int().min(1).max(65535)])
  .refine(([lo, hi]) => lo <= hi, 'expected [min, max] with min <= max');

const intercom = z.strictObject({
  enable: z.boolean().default(true),
  jt1078webrtc: z
    .strictObject({
      port: z.number().int().min(1).max(65535).default(12020),
      /** Public IP written into the SDP answer and 0x9101 bodies; empty = discover. */
      ip: z.string().default(''),
    })
    .default({ port: 12020, ip: '' }),
  audio_ports: portRange.default([12021, 12050]),
  on_join_url: callbackUrl.default(''),
  on_leave_url: callbackUrl.default(''),
  /** No audio written to the device for this long closes the connection. */
  overtime_second: z.number().int().min(1).default(600),
  /** Optional bearer token protecting the intercom APIs; empty = open. */
  token: z.string().default(''),
  /** go-jt808 HTTP API base URL; when set, the intercom sends 0x9101/0x9102 itself. */
  jt808_url: callbackUrl.default(''),
});

const simulation = z.strictObject({
  name: z.string().min(1),
  addr: hostPort,
});

/**
 * How device audio is read where the stream does not say (libs/media AudioDecodeOptions):
 * the IMA ADPCM header's byte order, G.726's bit packing (msb = AAL2, ffmpeg's g726; lsb =
 * RFC 3551, g726le) and rate ('auto' = read from the stream). `devices` overrides any of them
 * per SIM, for the odd device.
 */
const audioReadingKeys = {
  adpcm_byte_order: z.enum(['le', 'be']),
  g726_packing: z.enum(['msb', 'lsb']),
  g726_rate: z.union([z.literal('auto'), z.literal(16000), z.literal(24000), z.literal(32000), z.literal(40000)]),
};
const audio = z.strictObject({
  adpcm_byte_order: audioReadingKeys.adpcm_byte_order.default('le'),
  g726_packing: audioReadingKeys.g726_packing.default('msb'),
  g726_rate: audioReadingKeys.g726_rate.default('auto'),
  devices: z.record(z.string().regex(/^\d{1,20}$/, 'a SIM (digits)'), z.strictObject(audioReadingKeys).partial()).default({}),
});

const jt1078 = z.strictObject({
  enable: z.boolean().default(true),
  audio: audio.default(audio.parse({})),
  intercom: intercom.default(intercom.parse({})),
  realtime: realtime.default(realtime.parse({})),
  playback: playback.default(playback.parse({})),
  simulations: z.array(simulation).default([]),
});

const cluster = z.strictObject({
  nats: z
    .strictObject({
      url: z.string().default(''),
      /** First token of every subject and the JetStream stream names: isolates deployments on one NATS. */
      subject_root: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').default('jt1078'),
      /** An event a relay holds without acknowledging is redelivered after this (a relay that died). */
      event_ack_wait_second: z.number().min(1).default(30),
      /** Join/leave events a pod holds while NATS cannot store them (libs/bus event-outbox.ts); more are refused and counted. */
      outbox_max_events: z.number().int().min(1).default(100_000),
    })
    .default({ url: '', subject_root: 'jt1078', event_ack_wait_second: 30, outbox_max_events: 100_000 }),
  redis: z.strictObject({ url: z.string().default('') }).default({ url: '' }),
  http: z.strictObject({ addr: hostPort.default('0.0.0.0:8080') }).default({ addr: '0.0.0.0:8080' }),
  webhook: z
    .strictObject({
      secret: z.string().default(''),
      timeout_second: z.number().positive().default(3),
      insecure_skip_verify: z.boolean().default(false),
      /** Delay before each attempt, seconds (Svix-like default: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). */
      retry_schedule_second: z.array(z.number().min(0)).min(1).default([0, 5, 300, 1800, 7200, 18000, 36000, 36000]),
      /** Streams delivered at once. */
      concurrency: z.number().int().min(1).max(10000).default(64),
    })
    .default({ secret: '', timeout_second: 3, insecure_skip_verify: false, retry_schedule_second: [0, 5, 300, 1800, 7200, 18000, 36000, 36000], concurrency: 64 }),
  hls: z
    .strictObject({
      part_ms: z.number().int().min(100).max(5000).default(500),
      segment_ms: z.number().int().min(500).max(30000).default(2000),
      /** When set, playlists and media need `?expires=<unix s>&token=<HMAC>` (services/packager/src/stream-url-signer.ts); empty = open. */
      signing_secret: z.string().default(''),
    })
    .refine((h) => h.segment_ms >= h.part_ms, 'segment_ms must be >= part_ms')
    .default({ part_ms: 500, segment_ms: 2000, signing_secret: '' }),
  /** Viewers of the packager's streaming protocols (HTTP-FLV, WS-FLV). */
  viewers: z
    .strictObject({
      /** A viewer whose unsent bytes pass this is cut as too slow (counted), so none grows memory. */
      max_queue_kb: z.number().int().min(64).max(262144).default(4096),
      /** H.265 in FLV: enhanced-FLV `hvc1` (FFmpeg ≥ 6.1, mpegts.js) or the legacy CodecID 12 (jessibuca and other players of the JT1078 world). */
      flv_hevc: z.enum(['enhanced', 'codec-id-12']).default('enhanced'),
      /** WHEP viewers one packager holds at once; more get 503. */
      whep_max_sessions: z.number().int().min(1).max(4096).default(256),
      /** UDP ports for WHEP candidates [lo, hi] (werift binds a socket per viewer and address): expose the range. */
      whep_udp_ports: portRange.default([13100, 14123]),
      /** Written into WHEP answers' candidates (a public or load-balancer IP); '' = the pod's own addresses. */
      whep_ip: z.string().default(''),
    })
    .default({ max_queue_kb: 4096, flv_hevc: 'enhanced', whep_max_sessions: 256, whep_udp_ports: [13100, 14123], whep_ip: '' }),
  /** Limits of an ingest process: every buffer and every wait is bounded. */
  ingest: z
    .strictObject({
      max_connections: z.number().int().min(1).default(5000),
      /** A connection that completes no JT1078 packet for this long is closed (a half-open link, or a peer trickling bytes). */
      idle_timeout_second: z.number().positive().default(30),
      /** Bytes of unfinished frames one connection may hold; over it its oldest open frame is dropped (fault memory-cap). */
      max_unfinished_bytes_per_connection: z.number().int().min(1024 * 1024).default(64 * 1024 * 1024),
      /** Bytes of unfinished frames the whole pod may hold; over it the pod's oldest open frame is dropped. */
      max_unfinished_bytes: z.number().int().min(1024 * 1024).default(512 * 1024 * 1024),
      /** SIM/channel pairs one connection may carry (an MDVR has one SIM and up to 16 channels); packets of more are dropped (fault too-many-streams). */
      max_streams_per_connection: z.number().int().min(1).default(64),
      /** On SIGTERM, open connections are closed after this grace so devices reconnect elsewhere. */
      drain_grace_second: z.number().min(0).default(10),
      /** Registry heartbeat; an entry not renewed within ttl is reaped and its leave emitted. */
      registry_ttl_second: z.number().min(1).default(15),
    })
    .default({ max_connections: 5000, idle_timeout_second: 30, max_unfinished_bytes_per_connection: 64 * 1024 * 1024, max_unfinished_bytes: 512 * 1024 * 1024, max_streams_per_connection: 64, drain_grace_second: 10, registry_ttl_second: 15 }),
  /** The intercom's own settings (the m7s-jt1078 keys stay in jt1078.intercom). */
  intercom: z
    .strictObject({
      /**
       * Ports this process listens on, position for position with jt1078.intercom.audio_ports
       * (the leased ports devices are told to reach); [] = those same ports. Differs behind a
       * load balancer that maps ports, or when two intercoms share one machine.
       */
      listen_ports: z.union([z.tuple([]), portRange]).default([]),
      /** A new lease waits this long for its device to connect. */
      connect_ttl_second: z.number().int().min(1).default(60),
      /** The pod holding the device renews its lease every second for this long: a dead pod's ports free themselves after it. */
      lease_ttl_second: z.number().int().min(2).default(10),
      /** On SIGTERM, talks in progress get this long before they are closed. */
      drain_grace_second: z.number().min(0).default(10),
      /** WebRTC sessions one pod holds at once; more are refused with 503. */
      webrtc_max_sessions: z.number().int().min(1).max(4096).default(256),
      /**
       * UDP ports for WebRTC candidates, [lo, hi] (werift binds one socket per session and
       * address); [] = from jt1078webrtc.port, four a session. Expose the whole range.
       */
      webrtc_udp_ports: z.union([z.tuple([]), portRange]).default([]),
    })
    .default({ listen_ports: [], connect_ttl_second: 60, lease_ttl_second: 10, drain_grace_second: 10, webrtc_max_sessions: 256, webrtc_udp_ports: [] }),
  /**
   * The recent window of each stream, kept by the pod that publishes it (the ingest owning the
   * device connection) and replayed to packagers over `<root>.replay.…`: it must cover the
   * packagers' playlist window (6 segments) plus the segment being cut.
   */
  replay: z
    .strictObject({
      window_second: z.number().positive().max(600).default(16),
      stream_max_bytes: z.number().int().min(65536).default(16 * 1024 * 1024),
      pod_max_bytes: z.number().int().min(65536).default(1024 * 1024 * 1024),
    })
    .default({ window_second: 16, stream_max_bytes: 16 * 1024 * 1024, pod_max_bytes: 1024 * 1024 * 1024 }),
  /** How packager replicas share streams (services/packager/src/stream-owners.ts). */
  packager: z
    .strictObject({
      /** Replicas that package each stream (rendezvous hashing over live members); the others proxy to them. */
      replicas_per_stream: z.number().int().min(1).max(64).default(2),
      /** A member that has not renewed its entry for this long is no longer one. */
      member_ttl_second: z.number().int().min(2).max(300).default(6),
    })
    .default({ replicas_per_stream: 2, member_ttl_second: 6 }),
  /** The name this process uses in the registry and metrics (Kubernetes: the pod name). */
  pod: z.strictObject({ name: z.string().default('') }).default({ name: '' }),
});

export const configSchema = z.strictObject({
  jt1078: jt1078.default(jt1078.parse({})),
  cluster: cluster.default(cluster.parse({})),
});

export type Config = z.infer<typeof configSchema>;
export type StreamEndpointConfig = Config['jt1078']['realtime'];
export type IntercomConfig = Config['jt1078']['intercom'];
export type AudioConfig = Config['jt1078']['audio'];
