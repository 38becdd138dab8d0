/**
 * `<prefix>-<sim>-<channel>[-<unix ms>]` (DESIGN.md "Stream names") back to the bus coordinates.
 * The prefixes come from configuration (live/jt1078 realtime, live/jt1079 playback).
 */
export interface StreamCoordinates {
  readonly streamPath: string;
  readonly kind: 'live' | 'playback';
  readonly sim: string;
  readonly channel: number;
}

export function parseStreamPath(streamPath: string, prefixes: { readonly realtime: string; readonly playback: string }): StreamCoordinates | undefined {
  for (const [kind, prefix] of [['live', prefixes.realtime], ['playback', prefixes.playback]] as const) {
    if (!streamPath.startsWith(`${prefix}-`)) continue;
    const m = /^(\d{1,20})-(\d{1,3})(?:-\d+)?$/.exec(streamPath.slice(prefix.length + 1));
    if (!m) return undefined;
    const channel = Number(m[2]);
    if (channel > 255) return undefined;
    return { streamPath, kind, sim: m[1]!, channel };
  }
  return undefined;
}
