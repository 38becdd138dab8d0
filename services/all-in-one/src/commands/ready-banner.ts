/** What `jt1078 start` prints on a terminal once it serves: where to look, where devices connect. */
import { formatHostPort, parseHostPort, type Config } from '@jt1078/runtime/config';
import type { IngestService } from '@jt1078/svc-ingest';

export interface BannerFacts {
  readonly consoleUrl: string;
  readonly ingest: IngestService;
}

export function readyBanner(config: Config, facts: BannerFacts): string {
  const at = facts.ingest.server.addresses();
  const listening = (addr: string, port: number) => formatHostPort(parseHostPort(addr, '0.0.0.0').host, port);
  const j = config.jt1078;
  const [lo, hi] = j.intercom.audio_ports;
  const lines = [
    '',
    'jt1078 ready',
    `  console   ${facts.consoleUrl}`,
    `  devices   realtime ${listening(j.realtime.addr, at.live.tcp)} (TCP+UDP), playback ${listening(j.playback.addr, at.playback.tcp)} (TCP+UDP)`,
    ...(j.intercom.enable ? [`  talk      audio ports ${lo}-${hi} (TCP), WebRTC UDP from ${j.intercom.jt1078webrtc.port}`] : []),
    '  HTTP API  same address: /api/v1/streams, /hls/<stream>/index.m3u8, /api/v1/intercom/leases, /metrics',
    '  Ctrl-C stops (leave callbacks are posted first). LOG_FORMAT=json for JSON logs.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
