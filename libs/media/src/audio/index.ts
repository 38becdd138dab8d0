export { AUDIO_RESYNC_MS, AudioCodecUnsupported, AudioTranscoder, canTranscode, type AudioTranscoderOptions, type MuxAudioSample, type MuxAudioTrack } from './audio-transcoder.js';
export { NarrowbandDecoder, isNarrowband, type AudioDecodeOptions, type NarrowbandCodec } from './narrowband-decoder.js';
