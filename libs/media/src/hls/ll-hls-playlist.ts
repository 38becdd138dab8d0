/**
 * The media playlist (draft-pantos-hls-rfc8216bis): segments and their partial segments, a
 * sliding window, and the LL-HLS tags. Players without LL support read the same playlist and
 * ignore the part tags.
 */

export interface PlaylistPart {
  readonly uri: string;
  readonly durationSec: number;
  readonly independent: boolean;
}

export interface PlaylistSegment {
  readonly msn: number;
  readonly uri: string;
  readonly durationSec: number;
  readonly parts: readonly PlaylistPart[];
  /** Init segment URI this segment needs (EXT-X-MAP). */
  readonly mapUri: string;
  /**
   * Its discontinuity sequence number: segments after a timestamp reset (a device's new
   * connection) have a higher one, and EXT-X-DISCONTINUITY goes before the first of them.
   */
  readonly discontinuity?: number;
  /**
   * A number with no media (EXT-X-GAP, RFC 8216bis §4.4.4.7): its frames never reached this
   * packager. Listed so every later segment keeps its Media Sequence Number; players skip it.
   */
  readonly gap?: boolean;
}

export interface PlaylistState {
  readonly targetDurationSec: number;
  readonly partTargetSec: number;
  readonly segments: readonly PlaylistSegment[];
  /** The segment being built: parts only so far. */
  readonly open?: { readonly msn: number; readonly parts: readonly PlaylistPart[]; readonly mapUri: string; readonly discontinuity?: number } | undefined;
  /** URI of the part that will come next (EXT-X-PRELOAD-HINT). */
  readonly nextPartUri?: string | undefined;
  /** A finished stream: VOD playlist with EXT-X-ENDLIST and no parts. */
  readonly ended: boolean;
  /** Parts are listed for segments within this many seconds of the live edge (§4.4.4.9: ≥ 3 target durations). */
  readonly partsWindowSec?: number;
}

const fmt = (sec: number) => sec.toFixed(5).replace(/0+$/, '').replace(/\.$/, '.0');

/** Renders the playlist text. */
export function renderLlHlsPlaylist(p: PlaylistState): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:9', `#EXT-X-TARGETDURATION:${p.targetDurationSec}`];
  if (p.ended) {
    lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  } else {
    // PART-HOLD-BACK ≥ 3 × PART-TARGET and HOLD-BACK ≥ 3 × TARGETDURATION (§4.4.3.8).
    lines.push(
      `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${fmt(3 * p.partTargetSec)},HOLD-BACK=${fmt(3 * p.targetDurationSec)}`,
      `#EXT-X-PART-INF:PART-TARGET=${fmt(p.partTargetSec)}`,
    );
  }
  const first = p.segments[0]?.msn ?? p.open?.msn ?? 0;
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${first}`);
  // §4.4.3.3: the discontinuity sequence number of the first segment listed — taken from the
  // segments themselves, so replicas holding the same window say the same.
  const firstDiscontinuity = (p.segments[0] ?? p.open)?.discontinuity ?? 0;
  if (firstDiscontinuity > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${firstDiscontinuity}`);
  let discontinuity = firstDiscontinuity;
  let map = '';
  // Parts are listed only near the live edge (§4.4.4.9: a part older than three target durations
  // is removed), counted as players do: the open segment (its parts, or just the preload hint)
  // and the two complete segments before it.
  const partsFrom = p.partsWindowSec ?? 3 * p.targetDurationSec;
  let age = (p.open?.parts ?? []).reduce((s, x) => s + x.durationSec, 0);
  const showParts = new Set<number>();
  for (let i = p.segments.length - 1; i >= Math.max(0, p.segments.length - 2) && !p.ended; i--) {
    age += p.segments[i]!.durationSec;
    if (age > partsFrom) break;
    showParts.add(i);
  }
  // A new init segment alone (new parameter sets, timestamps going on) needs only EXT-X-MAP; a
  // timestamp reset needs EXT-X-DISCONTINUITY (§4.4.4.3), before the EXT-X-MAP.
  const segmentStart = (s: { readonly mapUri: string; readonly discontinuity?: number }) => {
    if ((s.discontinuity ?? 0) !== discontinuity) {
      discontinuity = s.discontinuity ?? 0;
      lines.push('#EXT-X-DISCONTINUITY');
      map = ''; // the init segment is named again after a discontinuity, as players expect
    }
    if (s.mapUri === map) return;
    map = s.mapUri;
    lines.push(`#EXT-X-MAP:URI="${s.mapUri}"`);
  };
  const partLines = (parts: readonly PlaylistPart[]) => {
    for (const part of parts) lines.push(`#EXT-X-PART:DURATION=${fmt(part.durationSec)},URI="${part.uri}"${part.independent ? ',INDEPENDENT=YES' : ''}`);
  };
  p.segments.forEach((s, i) => {
    segmentStart(s);
    if (showParts.has(i)) partLines(s.parts);
    if (s.gap) lines.push('#EXT-X-GAP');
    lines.push(`#EXTINF:${fmt(s.durationSec)},`, s.uri);
  });
  if (!p.ended) {
    if (p.open && p.open.parts.length > 0) {
      segmentStart(p.open);
      partLines(p.open.parts);
    }
    if (p.nextPartUri) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${p.nextPartUri}"`);
  } else {
    lines.push('#EXT-X-ENDLIST');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Blocking playlist reload (§6.2.5.2): is the part `_HLS_msn`/`_HLS_part` in the playlist yet,
 * or should the request wait for it, or is it too far ahead? The spec's 400 rule: an msn more
 * than two beyond the playlist's last Media Segment, or a part more than the Advance Part Limit
 * (3 / PART-TARGET when that is under a second, else 3) beyond its last Partial Segment.
 */
export function blockingReloadState(
  p: Pick<PlaylistState, 'segments' | 'open' | 'partTargetSec'>,
  msn: number,
  part: number | undefined,
): 'ready' | 'wait' | 'too-far' {
  const openParts = p.open?.parts.length ?? 0;
  const lastComplete = p.segments[p.segments.length - 1]?.msn ?? -1;
  const lastMsn = openParts > 0 ? p.open!.msn : lastComplete;
  if (msn > lastMsn + 2) return 'too-far';
  const advanceLimit = p.partTargetSec < 1 ? Math.floor(3 / p.partTargetSec) : 3;
  if (part !== undefined && msn === lastMsn && part > openParts - 1 + advanceLimit) return 'too-far';
  if (msn <= lastComplete) return 'ready';
  if (p.open && msn === p.open.msn && part !== undefined && part < openParts) return 'ready';
  return 'wait';
}
