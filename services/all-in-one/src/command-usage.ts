/** What `jt1078 --help` and `jt1078 <command> --help` print. */

export const HELP = `jt1078 — JT/T 1078 vehicle-video cluster

Usage: jt1078 <command> [options]       (jt1078 <command> --help for one command)

Commands:
  start [--config FILE] [--print-config]
                                     every service in one process (in-process bus and registry
                                     unless NATS_URL/REDIS_URL or cluster.nats/redis are set)
  inspect FILE [--json]              decode a capture (binary or hex text) and report what it holds
  package FILE --out DIR             a capture to an fMP4 HLS directory, with the packager's muxer
  simulate --file F --addr HOST:PORT [--loop] [--speed X] [--sim S] [--channel C] [--devices N] [--udp]
                                     replay a capture as one or many devices, paced by its timestamps
  ingest [--config FILE]             the ingest service, as a pod runs it (needs NATS_URL and REDIS_URL)
  packager [--config FILE]           the LL-HLS origin, as a pod runs it (needs NATS_URL and REDIS_URL)
  webhook [--config FILE]            the callback relay, as a pod runs it (needs NATS_URL)
  intercom [--config FILE]           audio ports, port leases and talk, as a pod runs it (needs NATS_URL and REDIS_URL)
  bench [--json FILE] [--only G]     run the benchmark suite (--list shows the groups, --quick a short run)
  help [COMMAND]                     this text, or one command's

Every command: --help, --verbose (debug logs, stack traces). Exit codes: 0 success, 1 failure
(the reason on stderr), 2 a wrong command line. Logs are human-readable on a terminal, JSON
otherwise or with LOG_FORMAT=json; LOG_LEVEL=debug|info|warn|error.
`;

const POD = (name: string, what: string, needs: string) => `Usage: jt1078 ${name} [--config FILE] [--verbose]

${what}, as a Kubernetes pod runs it. Needs ${needs}.
Every listener and dependency is checked before anything serves; a problem exits 1 within
seconds, naming the port, the config key and its environment variable.

Options:
  --config FILE   YAML config (an m7s-jt1078 file works unchanged); the environment overrides it
  --verbose       debug logs and stack traces
`;

export const COMMAND_USAGE: Readonly<Record<string, string>> = {
  start: `Usage: jt1078 start [--config FILE] [--print-config] [--verbose]

Every service in one process: devices on 12051/12052, console and API on http://127.0.0.1:8080/.
Without NATS/Redis settings it runs on an in-process bus and registry and replays the shipped
simulation; with NATS_URL and REDIS_URL (or cluster.nats.url/cluster.redis.url) it joins a cluster.

Options:
  --config FILE    YAML config, added to the defaults (the shipped simulation stays unless the
                   file says \`simulations: []\`)
  --print-config   print the effective configuration and exit
  --verbose        debug logs and stack traces

Ports and addresses from the environment: HTTP_ADDR, REALTIME_ADDR, PLAYBACK_ADDR, AUDIO_PORTS
(e.g. 12021-12050), AUDIO_LISTEN_PORTS, WEBRTC_PORT, WEBRTC_UDP_PORTS, WEBRTC_IP.
`,
  inspect: `Usage: jt1078 inspect FILE [--json]

Decodes a capture (binary, or m7s-jt1078's hex text): revision, SIMs, channels, packets, frames,
codecs, size, timestamps and every fault with its offset. Exits 1 when FILE holds no JT1078 packet.

Options:
  --json   one JSON object (the shape scripts rely on)
`,
  package: `Usage: jt1078 package FILE --out DIR [--part-ms 500] [--segment-ms 2000] [--config FILE]

A capture to an fMP4 HLS directory (index.m3u8, init.mp4, seg-N.m4s) with the packager's muxer.
Exits 1 when FILE holds no audio or video stream.

Options:
  --out DIR          where the files go (created if missing)
  --part-ms N        LL-HLS part target, 100..5000 ms
  --segment-ms N     segment target, 500..30000 ms, at least --part-ms
  --config FILE      the deployment's config: jt1078.audio (ADPCM byte order, G.726 packing/rate per SIM)
`,
  simulate: `Usage: jt1078 simulate --file FILE [--addr HOST:PORT] [--loop] [--speed X] [--sim S] [--channel C] [--devices N] [--udp]

Replays a capture as one or many devices, paced by its timestamps.

Options:
  --file FILE     the capture (binary or m7s-jt1078 hex text)
  --addr H:P      the ingest's device port (default 127.0.0.1:12051)
  --loop          replay forever, reconnecting whenever the ingest is away
  --speed X       pace multiplier (default 1)
  --sim S         the SIM to send as (default: one of its own, never a live vehicle's)
  --channel C     logical channel 0..255 (default: the capture's)
  --devices N     N devices with consecutive SIMs (default 1)
  --udp           send over UDP, one packet per datagram

Without --loop it gives up (exit 1) after 10 s of refused connections.
`,
  ingest: POD('ingest', 'The ingest (devices on TCP+UDP 12051/12052, frames to NATS)', 'NATS_URL and REDIS_URL'),
  packager: POD('packager', 'The LL-HLS origin', 'NATS_URL and REDIS_URL'),
  intercom: POD('intercom', 'Audio ports, port leases and WebRTC talk', 'NATS_URL and REDIS_URL'),
  webhook: POD('webhook', 'The callback relay (JetStream → HTTP callbacks)', 'NATS_URL'),
  bench: `Usage: jt1078 bench [--only GROUP] [--json FILE] [--list] [--quick]

The benchmark suite; every result with a baseline measured in the same run.

Options:
  --only GROUP   one group (--list shows them)
  --json FILE    write the results as JSON
  --quick        a short run
`,
};
