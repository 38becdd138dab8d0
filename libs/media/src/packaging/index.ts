/**
 * Frames as a device sends them (Annex-B video, G.711/ADPCM/AAC audio, millisecond timestamps)
 * into an LlHlsSegmenter: the one path the packager service and `jt1078 package` share. Video
 * parameter sets become the sample entry, device audio becomes Opus (AAC passes through), and
 * both tracks are timed from the stream's first frame.
 */
import { AudioTranscoder, canTranscode } from '../audio/index.js';
import type { MediaFrame } from '../codec/index.js';
import { VIDEO_TIMESCALE, type AudioTrackInfo, type VideoTrackInfo } from '../fmp4/index.js';
import { LlHlsSegmenter, type LlHlsSegmenterOptions } from '../hls/ll-hls-segmenter.js';
import { TrackTimeline } from '../timeline/index.js';
import { VideoParameterSetTracker } from '../video/index.js';

export interface MediaFramePackagerOptions extends LlHlsSegmenterOptions {
  /**
   * Whether the stream has video and/or audio. 'auto' waits up to `trackWaitMs` of stream time
   * for the other kind before packaging with what it has (a live stream whose codecs are not
   * known in advance).
   */
  readonly expectVideo?: boolean | 'auto';
  readonly expectAudio?: boolean | 'auto';
  readonly trackWaitMs?: number;
}

export interface PackagerStats {
  framesIn: number;
  unsupportedFrames: number;
  undecodableFrames: number;
}

/** Samples held while waiting for the other track's first frame (about 4 s at 25 fps + audio). */
const MAX_PENDING_SAMPLES = 300;

export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

export class MediaFramePackager {
  readonly segmenter: LlHlsSegmenter;
  readonly stats: PackagerStats = { framesIn: 0, unsupportedFrames: 0, undecodableFrames: 0 };
  #video: VideoParameterSetTracker | undefined;
  #videoTimeline = new TrackTimeline(VIDEO_TIMESCALE / 1000);
  #videoOffset: number | undefined;
  #audio: AudioTranscoder | undefined;
  #audioOffset: number | undefined;
  #originMs: number | undefined;
  #videoTrack: VideoTrackInfo | undefined;
  #audioTrack: AudioTrackInfo | undefined;
  readonly #expectVideo: boolean;
  readonly #expectAudio: boolean;
  readonly #trackWaitMs: number;
  #pending: Array<() => void> | undefined = [];

  constructor(opts: MediaFramePackagerOptions = {}) {
    this.segmenter = new LlHlsSegmenter(opts);
    this.#expectVideo = opts.expectVideo === undefined ? true : opts.expectVideo !== false;
    this.#expectAudio = opts.expectAudio === undefined ? false : opts.expectAudio !== false;
    // With 'auto', a kind that does not show within the wait is not waited for any longer.
    this.#trackWaitMs = opts.expectAudio === 'auto' || opts.expectVideo === 'auto' ? (opts.trackWaitMs ?? 1000) : Infinity;
  }

  /** What the stream carries, once known: for stream lists and consoles. */
  get tracks(): { video?: { codec: string; codecString: string; width: number; height: number }; audio?: { codec: string } } {
    const d = this.#video?.description;
    return {
      ...(d ? { video: { codec: d.codec, codecString: d.codecString, width: d.width, height: d.height } } : {}),
      ...(this.#audioTrack ? { audio: { codec: this.#audioTrack.codec } } : {}),
    };
  }

  get timelineCorrections(): number {
    const s = this.#videoTimeline.stats;
    return s.stalls + s.backwards + s.jumps + s.resets;
  }

  get audioResyncs(): number {
    return this.#audio?.resyncs ?? 0;
  }

  push(frame: MediaFrame): void {
    this.stats.framesIn++;
    this.#originMs ??= frame.timestamp;
    if (this.#pending && frame.timestamp - this.#originMs > this.#trackWaitMs && (this.#videoTrack || this.#audioTrack)) {
      this.segmenter.setTracks(this.#videoTrack, this.#audioTrack);
      this.#flush();
    }
    if (frame.kind === 'video') this.#pushVideo(frame);
    else this.#pushAudio(frame);
  }

  #pushVideo(frame: MediaFrame): void {
    if (frame.codec !== 'h264' && frame.codec !== 'h265') {
      this.stats.unsupportedFrames++;
      return;
    }
    this.#video ??= new VideoParameterSetTracker(frame.codec);
    const out = this.#video.push(frame.data);
    if (!out) {
      this.stats.undecodableFrames++;
      return;
    }
    if (out.changed) {
      const d = this.#video.description!;
      this.#videoTrack = { kind: 'video', id: VIDEO_TRACK_ID, codec: d.codec, width: d.width, height: d.height, configRecord: d.configRecord };
      this.#updateTracks();
    }
    this.#videoOffset ??= Math.max(0, Math.round((frame.timestamp - this.#originMs!) * (VIDEO_TIMESCALE / 1000)));
    const time = this.#videoTimeline.next(frame.timestamp) + this.#videoOffset;
    this.#deliver(() => this.segmenter.pushVideo({ data: out.sample.data, time, keyFrame: out.sample.keyFrame }));
  }

  #pushAudio(frame: MediaFrame): void {
    if (!canTranscode(frame.codec)) {
      this.stats.unsupportedFrames++;
      return;
    }
    this.#audio ??= new AudioTranscoder(frame.codec);
    const samples = this.#audio.push(frame);
    const track = this.#audio.track;
    if (track && !this.#audioTrack) {
      this.#audioTrack = { kind: 'audio', id: AUDIO_TRACK_ID, ...track };
      this.#updateTracks();
    }
    if (!track) return;
    this.#audioOffset ??= Math.max(0, Math.round(((frame.timestamp - this.#originMs!) * track.sampleRate) / 1000));
    const offset = this.#audioOffset;
    for (const s of samples) this.#deliver(() => this.segmenter.pushAudio({ data: s.data, time: s.time + offset, duration: s.duration }));
  }

  /** Samples wait here until every expected track is known, so the first GOP is not lost. */
  #deliver(push: () => void): void {
    if (this.#pending) {
      this.#pending.push(push);
      if (this.#pending.length > MAX_PENDING_SAMPLES) {
        // The other kind is not coming: package what there is.
        this.segmenter.setTracks(this.#videoTrack, this.#audioTrack);
        this.#flush();
      }
      return;
    }
    push();
  }

  #flush(): void {
    const pending = this.#pending ?? [];
    this.#pending = undefined;
    for (const push of pending) push();
  }

  /** Tracks go to the segmenter once every expected kind is known (one init segment, not two). */
  #updateTracks(): void {
    const videoReady = this.#videoTrack !== undefined || !this.#expectVideo;
    const audioReady = this.#audioTrack !== undefined || !this.#expectAudio;
    if (videoReady && audioReady) {
      this.segmenter.setTracks(this.#videoTrack, this.#audioTrack);
      this.#flush();
    }
  }

  end(): void {
    // A stream that never showed an expected kind is packaged with what it had.
    if (this.segmenter.initUris.length === 0 && (this.#videoTrack || this.#audioTrack)) this.segmenter.setTracks(this.#videoTrack, this.#audioTrack);
    this.#flush();
    this.segmenter.end();
  }
}
