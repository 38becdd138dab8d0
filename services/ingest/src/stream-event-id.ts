/** The id of a stream's join or leave: the same from the ingest and from a reaper, so JetStream keeps one. */
export function streamEventId(connectionId: string, sim: string, channel: number, action: 'join' | 'leave'): string {
  return `${connectionId}.${sim}.${channel}.${action}`;
}
