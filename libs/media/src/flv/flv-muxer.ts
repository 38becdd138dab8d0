/**
 * Media frames to FLV tags, shared by every viewer of a stream: tags carry stream-relative
 * timestamps (milliseconds since the first frame this muxer kept), so one muxer's output serves
 * viewers that join at any key frame. A viewer's bytes are `preamble()` (file header, onMetaData,
 * sequence headers) then the tags from a key frame on.
 *
 * What FLV cannot carry is counted, not thrown: audio in a codec FLV has no sound format for
 * (ADPCM, G.726, G.722, MP3 here — the stream is then video-only), video before the first key
 * frame with parameter sets, and malformed AAC.
 */
import { AdtsError, audioSpecificConfig, parseAdts } from '../aac/index.js';
import type { CodecName } from '../codec/codec-name.js';
import type { MediaFrame } from '../codec/media-frame.js';
import type { VideoDescription } from '../video/describe-video.js';
import { VideoParameterSetTracker } from '../video/video-parameter-set-tracker.js';
import { flvAacSequenceHeader, flvAudioCodecId, flvAudioFrame, isFlvAudioCodec, type FlvAudioCodec } from './flv-audio.js';
import { flvOnMetaData, type FlvMetadataValue } from './flv-metadata.js';
import { FlvTagType, flvFileHeader, flvTag } from './flv-tag.js';
import { flvVideoCodecId, flvVideoFrame, flvVideoSequenceHeader, type FlvHevcForm, type FlvVideoCodec } from './flv-video.js';

export interface FlvMuxerTracks {
  readonly video?: FlvVideoCodec;
  /** The device's audio codec; one FLV cannot carry is left out (counted in stats.unsupportedAudio). */
  readonly audio?: CodecName;
}

export interface FlvMuxerOptions {
  /** How H.265 is written: enhanced-FLV `hvc1` (default; FFmpeg ≥ 6.1, mpegts.js) or CodecID 12. */
  readonly hevcForm?: FlvHevcForm;
}

/** One tag to append, with what a viewer needs to know to start at it. */
export interface FlvTagOut {
  readonly bytes: Uint8Array;
  readonly kind: 'video' | 'audio';
  /** A video key frame: a viewer may start here (after `preamble()`). */
  readonly keyFrame: boolean;
  readonly timestamp: number;
}

export interface FlvMuxerStats {
  videoBeforeKeyFrame: number;
  audioBeforeVideo: number;
  unsupportedAudio: number;
  malformedAudio: number;
  sequenceHeaders: number;
}

const AAC_SAMPLES_PER_FRAME = 1024;

export class FlvMuxer {
  readonly hasVideo: boolean;
  readonly hasAudio: boolean;
  readonly stats: FlvMuxerStats = { videoBeforeKeyFrame: 0, audioBeforeVideo: 0, unsupportedAudio: 0, malformedAudio: 0, sequenceHeaders: 0 };
  readonly #hevcForm: FlvHevcForm;
  readonly #videoCodec: FlvVideoCodec | undefined;
  readonly #audioCodec: FlvAudioCodec | undefined;
  readonly #tracker: VideoParameterSetTracker | undefined;
  #base: number | undefined;
  #lastVideoTs = 0;
  #lastAudioTs = 0;
  #videoSequenceHeader: Uint8Array | undefined;
  #aacConfig: Uint8Array | undefined;
  #aacConfigKey = '';

  constructor(tracks: FlvMuxerTracks, opts: FlvMuxerOptions = {}) {
    this.#hevcForm = opts.hevcForm ?? 'enhanced';
    this.#videoCodec = tracks.video;
    this.#audioCodec = tracks.audio !== undefined && isFlvAudioCodec(tracks.audio) ? tracks.audio : undefined;
    this.#tracker = tracks.video ? new VideoParameterSetTracker(tracks.video) : undefined;
    this.hasVideo = tracks.video !== undefined;
    this.hasAudio = this.#audioCodec !== undefined;
  }

  /** The video's description once a key frame with parameter sets was seen. */
  get video(): VideoDescription | undefined {
    return this.#tracker?.description;
  }

  /** Whether a viewer can start now: the video's sequence header is known (or there is no video). */
  get ready(): boolean {
    return !this.hasVideo || this.#videoSequenceHeader !== undefined;
  }

  /** A new viewer's first bytes: file header, onMetaData and the current sequence headers. */
  preamble(): Uint8Array[] {
    const out = [flvFileHeader({ audio: this.hasAudio, video: this.hasVideo }), flvTag(FlvTagType.script, 0, flvOnMetaData(this.#metadata()))];
    if (this.#videoSequenceHeader) out.push(flvTag(FlvTagType.video, 0, this.#videoSequenceHeader));
    if (this.#aacConfig) out.push(flvTag(FlvTagType.audio, 0, flvAacSequenceHeader(this.#aacConfig)));
    return out;
  }

  /** Tags for one frame (none while waiting for a key frame; several for multi-frame ADTS). */
  push(frame: MediaFrame): FlvTagOut[] {
    return frame.kind === 'video' ? this.#pushVideo(frame) : this.#pushAudio(frame);
  }

  #pushVideo(frame: MediaFrame): FlvTagOut[] {
    const tracker = this.#tracker;
    const codec = this.#videoCodec;
    if (!tracker || !codec || frame.codec !== codec) return [];
    const pushed = tracker.push(frame.data);
    if (!pushed || (this.#base === undefined && !pushed.sample.keyFrame)) {
      this.stats.videoBeforeKeyFrame++;
      return [];
    }
    this.#base ??= frame.timestamp;
    const ts = (this.#lastVideoTs = Math.max(this.#lastVideoTs, Math.round(frame.timestamp - this.#base)));
    const out: FlvTagOut[] = [];
    if (pushed.changed) {
      const first = this.#videoSequenceHeader === undefined;
      this.stats.sequenceHeaders++;
      this.#videoSequenceHeader = flvVideoSequenceHeader(codec, this.#hevcForm, tracker.description!.configRecord);
      // The first goes out in preamble(); a later one (a new resolution, a device restart) in
      // band, where players reconfigure on it.
      if (!first) out.push({ bytes: flvTag(FlvTagType.video, ts, this.#videoSequenceHeader), kind: 'video', keyFrame: false, timestamp: ts });
    }
    const bytes = flvTag(FlvTagType.video, ts, flvVideoFrame(codec, this.#hevcForm, pushed.sample.data, pushed.sample.keyFrame));
    out.push({ bytes, kind: 'video', keyFrame: pushed.sample.keyFrame, timestamp: ts });
    return out;
  }

  #pushAudio(frame: MediaFrame): FlvTagOut[] {
    const codec = this.#audioCodec;
    if (!codec || frame.codec !== codec) {
      this.stats.unsupportedAudio++;
      return [];
    }
    if (this.hasVideo && this.#base === undefined) {
      this.stats.audioBeforeVideo++;
      return [];
    }
    this.#base ??= frame.timestamp;
    const ts = (this.#lastAudioTs = Math.max(this.#lastAudioTs, Math.round(frame.timestamp - this.#base)));
    if (codec !== 'aac') return [{ bytes: flvTag(FlvTagType.audio, ts, flvAudioFrame(codec, frame.data)), kind: 'audio', keyFrame: false, timestamp: ts }];
    return this.#pushAac(frame.data, ts);
  }

  #pushAac(data: Uint8Array, ts: number): FlvTagOut[] {
    let frames;
    try {
      frames = parseAdts(data);
    } catch (err) {
      if (!(err instanceof AdtsError)) throw err;
      this.stats.malformedAudio++;
      return [];
    }
    const out: FlvTagOut[] = [];
    frames.forEach((f, i) => {
      const asc = audioSpecificConfig(f);
      const key = asc.join(',');
      const at = ts + Math.round((i * AAC_SAMPLES_PER_FRAME * 1000) / f.sampleRate);
      if (key !== this.#aacConfigKey) {
        this.#aacConfigKey = key;
        this.#aacConfig = asc;
        this.stats.sequenceHeaders++;
        out.push({ bytes: flvTag(FlvTagType.audio, at, flvAacSequenceHeader(asc)), kind: 'audio', keyFrame: false, timestamp: at });
      }
      out.push({ bytes: flvTag(FlvTagType.audio, at, flvAudioFrame('aac', f.payload)), kind: 'audio', keyFrame: false, timestamp: at });
      this.#lastAudioTs = at;
    });
    return out;
  }

  #metadata(): Record<string, FlvMetadataValue> {
    const m: Record<string, FlvMetadataValue> = { duration: 0 };
    const video = this.video;
    if (this.#videoCodec) {
      m['videocodecid'] = flvVideoCodecId(this.#videoCodec, this.#hevcForm);
      if (video) {
        m['width'] = video.width;
        m['height'] = video.height;
        if (video.fps !== undefined) m['framerate'] = video.fps;
      }
    }
    if (this.#audioCodec) {
      m['audiocodecid'] = flvAudioCodecId(this.#audioCodec);
      m['audiosamplesize'] = 16;
      m['stereo'] = false;
      if (this.#audioCodec !== 'aac') m['audiosamplerate'] = 8000;
    }
    return m;
  }
}
