/**
 * The leave of a stream whose pod died without emitting it: built from its registry entry, by
 * the reaper (the entry expired) or by the connection that takes its name over (the device came
 * back on another pod). The id is the one the dead pod would have used, so the events stream
 * keeps one leave per connection whoever emits it.
 */
import { formatCallbackTime } from '@jt1078/runtime/time';
import type { IngestEvent } from './ingest-ports.js';
import { streamEventId } from './stream-event-id.js';

export interface OrphanedEntry {
  readonly name: string;
  readonly connectionId: string;
  readonly sim: string;
  readonly channel: number;
  readonly kind: 'live' | 'playback';
  readonly joinBody: Readonly<Record<string, unknown>>;
}

export function orphanLeave(e: OrphanedEntry, endedAt: Date): IngestEvent {
  return {
    id: streamEventId(e.connectionId, e.sim, e.channel, 'leave'),
    type: e.kind === 'live' ? 'realtime' : 'playback',
    action: 'leave',
    streamKey: e.name,
    // The claim stored the join body before the name was decided: the entry's name is the truth.
    body: { ...e.joinBody, streamPath: e.name, endTime: formatCallbackTime(endedAt) },
  };
}
