/** The id of a talk's audio join or leave: one per device connection and action, so a re-publish is the same event to JetStream. */
export function talkEventId(connectionId: string, port: number, action: 'join' | 'leave'): string {
  return `${connectionId}.audio-${port}.${action}`;
}
