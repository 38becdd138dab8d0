/**
 * The three talk codecs a browser and a device share, by m7s-jt1078's `enterAudioEncoding`
 * (JT/T 1078-2016 table 12: 2 G.722, 6 G.711A, 7 G.711U; 6 when absent or 0, as m7s-jt1078
 * does) and by their RTP names and static payload types (RFC 3551 table 4). All three run an
 * 8000 Hz RTP clock: G.722 samples at 16 kHz but RFC 3551 §4.5.2 keeps its clock at 8000, so a
 * 20 ms packet advances the timestamp by 160 whichever codec it is.
 */

export interface TalkCodec {
  /** Table 12 number (`enterAudioEncoding`, the JT1078 PT devices receive). */
  readonly encoding: 2 | 6 | 7;
  /** Our codec name (DESIGN.md), as TalkAudio and frame headers carry it. */
  readonly codec: 'g711a' | 'g711u' | 'g722';
  /** RTP encoding name in SDP `a=rtpmap`. */
  readonly rtpName: 'PCMA' | 'PCMU' | 'G722';
  readonly payloadType: 8 | 0 | 9;
}

export const RTP_CLOCK_RATE = 8000;

export const TALK_CODECS = {
  6: { encoding: 6, codec: 'g711a', rtpName: 'PCMA', payloadType: 8 },
  7: { encoding: 7, codec: 'g711u', rtpName: 'PCMU', payloadType: 0 },
  2: { encoding: 2, codec: 'g722', rtpName: 'G722', payloadType: 9 },
} as const satisfies Record<number, TalkCodec>;

export const DEFAULT_TALK_ENCODING = 6;

export function talkCodecOfEncoding(encoding: number): TalkCodec | undefined {
  return (TALK_CODECS as Record<number, TalkCodec>)[encoding];
}

/** By RTP encoding name (case-insensitive, as SDP compares them: RFC 4855 §3). */
export function talkCodecOfRtpName(name: string): TalkCodec | undefined {
  const upper = name.toUpperCase();
  return Object.values(TALK_CODECS).find((c) => c.rtpName === upper);
}

export function talkCodecOfName(codec: string): TalkCodec | undefined {
  return Object.values(TALK_CODECS).find((c) => c.codec === codec);
}
