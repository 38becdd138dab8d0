/**
 * Codec names shared by every layer (CLI output, NATS headers, muxer). Values follow DESIGN.md;
 * the JT1078 payload-type numbers that map onto them live in libs/jt1078 (table 12).
 */
export const VIDEO_CODECS = ['h264', 'h265', 'avs', 'svac'] as const;
export const AUDIO_CODECS = ['g711a', 'g711u', 'g722', 'g726', 'adpcm', 'aac', 'mp3'] as const;

export type VideoCodec = (typeof VIDEO_CODECS)[number];
export type AudioCodec = (typeof AUDIO_CODECS)[number];
export type CodecName = VideoCodec | AudioCodec;
export type MediaKind = 'video' | 'audio';

export function isVideoCodec(name: string): name is VideoCodec {
  return (VIDEO_CODECS as readonly string[]).includes(name);
}

export function isAudioCodec(name: string): name is AudioCodec {
  return (AUDIO_CODECS as readonly string[]).includes(name);
}
