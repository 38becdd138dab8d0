/**
 * Checks a browser's offer before werift sees it, and puts the talk codec first in its audio
 * m-line. werift answers with the codecs it shares with the offer in the offer's order, and a
 * browser sends with the first codec of the answer (RFC 3264 §6.1), so the order decides what
 * the devices get: Chromium lists G722 before PCMU before PCMA, and a G.711A talk must not
 * become G.722 because of that.
 *
 * Refused with the field `sdp` named: no audio m-section, or more than one (one talk per peer
 * connection), a video m-section (werift cannot answer it without video codecs), an audio
 * section the browser does not send on, or one that does not offer the codec asked for.
 */
import { IntercomRequestInvalid } from './webrtc-intercom-request.js';
import { RTP_CLOCK_RATE, type TalkCodec } from './webrtc-talk-codec.js';

interface MediaSection {
  readonly kind: string;
  /** Index of its `m=` line. */
  readonly at: number;
  readonly lines: readonly string[];
}

function sections(lines: readonly string[]): MediaSection[] {
  const out: MediaSection[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('m=')) out.push({ kind: line.slice(2).split(' ')[0] ?? '', at: i, lines: [] });
    else (out.at(-1)?.lines as string[] | undefined)?.push(line);
  });
  return out;
}

/** Payload types of `a=rtpmap:<pt> <name>/<rate>` lines naming `codec` at the 8 kHz clock. */
function payloadTypesOf(section: MediaSection, codec: TalkCodec): string[] {
  const pts: string[] = [];
  for (const line of section.lines) {
    const m = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(line);
    if (m && m[2]!.toUpperCase() === codec.rtpName && Number(m[3]) === RTP_CLOCK_RATE) pts.push(m[1]!);
  }
  return pts;
}

/** The offer with `codec` first in its audio m-line (other codecs kept after it). */
export function preferTalkCodec(sdp: string, codec: TalkCodec): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  if (lines[0] !== 'v=0') throw new IntercomRequestInvalid('sdp', 'not an SDP description (it must start with v=0)');
  const media = sections(lines);
  const audio = media.filter((s) => s.kind === 'audio');
  if (audio.length !== 1) throw new IntercomRequestInvalid('sdp', `expected one audio m-section, the offer has ${audio.length}`);
  if (media.some((s) => s.kind === 'video')) throw new IntercomRequestInvalid('sdp', 'the offer has a video m-section; the intercom takes audio only');
  const section = audio[0]!;
  const [, port, proto, ...formats] = lines[section.at]!.split(' ');
  if (port === '0') throw new IntercomRequestInvalid('sdp', 'the audio m-section is rejected (port 0)');
  if (section.lines.some((l) => l === 'a=recvonly' || l === 'a=inactive')) {
    throw new IntercomRequestInvalid('sdp', 'the audio m-section does not send (recvonly or inactive): add the microphone track before creating the offer');
  }
  const wanted = payloadTypesOf(section, codec);
  const first = wanted.find((pt) => formats.includes(pt));
  if (first === undefined) throw new IntercomRequestInvalid('sdp', `the offer has no ${codec.rtpName}/${RTP_CLOCK_RATE} audio (enterAudioEncoding ${codec.encoding})`);
  lines[section.at] = ['m=audio', port, proto, first, ...formats.filter((f) => f !== first)].join(' ');
  return lines.join(eol);
}
