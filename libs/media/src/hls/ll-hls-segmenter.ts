/**
 * The pure core the packager and `jt1078 package` share: muxer-ready samples in, LL-HLS parts,
 * segments, init segments and the playlist out. Parts are ~partTargetMs (never longer), and a
 * key frame starts a new one; a segment ends at the first key frame at or after
 * segmentTargetMs (audio-only streams: on time). A segment's bytes are its parts' bytes, one
 * after the other, so a CDN holds the same media under both names. Names and numbers come only
 * from the samples fed in — never a clock — so two instances fed the same samples give the same
 * bytes and playlists.
 */
import { writeFragment, writeInitSegment, VIDEO_TIMESCALE, type AudioTrackInfo, type FragmentSample, type TrackInfo, type VideoTrackInfo } from '../fmp4/index.js';
import { concatBytes } from '../bytes/index.js';
import { blockingReloadState, renderLlHlsPlaylist, type PlaylistPart, type PlaylistSegment, type PlaylistState } from './ll-hls-playlist.js';

/**
 * A segment that falls short of the target by less than this still ends at its key frame:
 * arrival-timed streams put a 2 s GOP at 1.99 s, and waiting for the next key frame would
 * make the segment one GOP too long.
 */
const SEGMENT_TOLERANCE_SEC = 0.05;

/** Audio samples held while waiting for the first key frame (about 10 s of 20 ms frames). */
const MAX_AUDIO_BEFORE_VIDEO = 500;

export interface LlHlsSegmenterOptions {
  /** Part target, ms (default 500). */
  readonly partTargetMs?: number;
  /** Segment target, ms (default 2000). */
  readonly segmentTargetMs?: number;
  /** Complete segments kept (the live window); 0 keeps all (offline packaging). */
  readonly windowSegments?: number;
  /** Media sequence number of the first segment (default 0). */
  readonly firstMediaSequence?: number;
}

export interface VideoInput {
  readonly data: Uint8Array;
  /** Decode time on the 90 kHz clock, strictly increasing. */
  readonly time: number;
  readonly keyFrame: boolean;
}

export interface AudioInput {
  readonly data: Uint8Array;
  /** Decode time on the audio track's clock (its sample rate). */
  readonly time: number;
  readonly duration: number;
}

interface Part extends PlaylistPart {
  readonly data: Uint8Array;
}

interface Segment extends PlaylistSegment {
  readonly parts: readonly Part[];
  readonly data: Uint8Array;
}

interface OpenSegment {
  readonly msn: number;
  readonly parts: Part[];
  readonly mapUri: string;
}

export interface SegmenterStats {
  parts: number;
  segments: number;
  videoSamples: number;
  audioSamples: number;
  droppedBeforeKeyFrame: number;
  initSegments: number;
}

export class LlHlsSegmenter {
  readonly stats: SegmenterStats = { parts: 0, segments: 0, videoSamples: 0, audioSamples: 0, droppedBeforeKeyFrame: 0, initSegments: 0 };
  readonly #partTarget: number;
  readonly #segmentTarget: number;
  readonly #window: number;
  #video: VideoTrackInfo | undefined;
  #audio: AudioTrackInfo | undefined;
  readonly #inits = new Map<string, Uint8Array>();
  #mapUri = '';
  #initKey = '';
  readonly #segments: Segment[] = [];
  #open: OpenSegment;
  #fragment = 1;
  #maxSegmentSec = 0;
  #ended = false;
  /** The last video sample, waiting for the next one to know its duration. */
  #held: VideoInput | undefined;
  #partVideo: Array<FragmentSample & { time: number }> = [];
  #partAudio: Array<FragmentSample & { time: number }> = [];
  #audioQueue: AudioInput[] = [];
  #started = false;
  readonly #listeners = new Set<() => void>();

  constructor(opts: LlHlsSegmenterOptions = {}) {
    this.#partTarget = (opts.partTargetMs ?? 500) / 1000;
    this.#segmentTarget = (opts.segmentTargetMs ?? 2000) / 1000;
    this.#window = opts.windowSegments ?? 0;
    this.#open = { msn: opts.firstMediaSequence ?? 0, parts: [], mapUri: '' };
  }

  /** Sets (or changes) the tracks; a change starts a new segment with a new init segment. */
  setTracks(video: VideoTrackInfo | undefined, audio: AudioTrackInfo | undefined): void {
    const key = JSON.stringify([video && { ...video, configRecord: Buffer.from(video.configRecord).toString('base64') }, audio && { ...audio, audioSpecificConfig: audio.audioSpecificConfig && Buffer.from(audio.audioSpecificConfig).toString('base64') }]);
    if (key === this.#initKey) return;
    if (this.#initKey !== '') this.#closeSegment(true);
    this.#initKey = key;
    this.#video = video;
    this.#audio = audio;
    const tracks: TrackInfo[] = [video, audio].filter((t): t is TrackInfo => t !== undefined);
    this.#mapUri = this.stats.initSegments === 0 ? 'init.mp4' : `init-${this.stats.initSegments}.mp4`;
    this.#inits.set(this.#mapUri, writeInitSegment(tracks));
    this.stats.initSegments++;
    this.#open = { ...this.#open, mapUri: this.#mapUri };
  }

  /** Notified after every new part (blocking playlist reloads wait on this). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  pushVideo(sample: VideoInput): void {
    if (!this.#video || this.#ended) return;
    if (!this.#started) {
      if (!sample.keyFrame) {
        this.stats.droppedBeforeKeyFrame++;
        return;
      }
      this.#started = true;
      // Audio from before the first picture has nothing to play against.
      const start = this.#toAudioTime(sample.time);
      this.#audioQueue = this.#audioQueue.filter((a) => a.time >= start);
    }
    this.stats.videoSamples++;
    const held = this.#held;
    this.#held = sample;
    if (!held) return;
    const duration = Math.max(1, sample.time - held.time);
    const partTicks = this.#partVideo.reduce((n, s) => n + s.duration, 0);
    if (this.#partVideo.length > 0 && (partTicks + duration) / VIDEO_TIMESCALE > this.#partTarget + 1e-9) this.#closePart(held.time);
    this.#partVideo.push({ data: held.data, duration, keyFrame: held.keyFrame, time: held.time });
    if (sample.keyFrame) {
      this.#closePart(sample.time);
      if (this.#openDuration() >= this.#segmentTarget - SEGMENT_TOLERANCE_SEC) this.#closeSegment(false);
    }
  }

  pushAudio(sample: AudioInput): void {
    if (!this.#audio || this.#ended) return;
    this.stats.audioSamples++;
    if (this.#video) {
      // Bounded: before the first key frame only the last few seconds are kept.
      this.#audioQueue.push(sample);
      if (!this.#started && this.#audioQueue.length > MAX_AUDIO_BEFORE_VIDEO) this.#audioQueue.shift();
      return;
    }
    // Audio only: parts and segments are cut on the audio clock.
    const rate = this.#audio.sampleRate;
    const partSec = this.#partAudio.reduce((n, s) => n + s.duration, 0) / rate;
    if (this.#partAudio.length > 0 && partSec + sample.duration / rate > this.#partTarget + 1e-9) {
      this.#closePart(undefined);
      if (this.#openDuration() >= this.#segmentTarget - 1e-9) this.#closeSegment(false);
    }
    this.#partAudio.push({ data: sample.data, duration: sample.duration, keyFrame: true, time: sample.time });
  }

  /** The stream ended: the held sample and open part and segment are closed; the playlist becomes VOD. */
  end(): void {
    if (this.#ended) return;
    if (this.#held) {
      const prev = this.#partVideo[this.#partVideo.length - 1];
      const duration = prev ? prev.duration : Math.round(VIDEO_TIMESCALE / 25);
      this.#partVideo.push({ data: this.#held.data, duration, keyFrame: this.#held.keyFrame, time: this.#held.time });
      this.#held = undefined;
    }
    this.#closePart(undefined, true);
    this.#closeSegment(true);
    this.#ended = true;
    this.#emit();
  }

  #toAudioTime(videoTicks: number): number {
    return this.#audio ? Math.round((videoTicks * this.#audio.sampleRate) / VIDEO_TIMESCALE) : 0;
  }

  #openDuration(): number {
    return this.#open.parts.reduce((n, p) => n + p.durationSec, 0);
  }

  /** Closes the current part at video time `atTicks` (audio before it joins the part). */
  #closePart(atTicks: number | undefined, all = false): void {
    if (this.#video) {
      const limit = all || atTicks === undefined ? Infinity : this.#toAudioTime(atTicks);
      while (this.#audioQueue.length > 0 && this.#audioQueue[0]!.time < limit) {
        const a = this.#audioQueue.shift()!;
        this.#partAudio.push({ data: a.data, duration: a.duration, keyFrame: true, time: a.time });
      }
      // Durations follow the next sample's time, so a gap in the audio stays a gap.
      for (let i = 0; i + 1 < this.#partAudio.length; i++) {
        const a = this.#partAudio[i]!;
        const next = this.#partAudio[i + 1]!;
        if (next.time > a.time) this.#partAudio[i] = { ...a, duration: next.time - a.time };
      }
    }
    if (this.#partVideo.length === 0 && this.#partAudio.length === 0) return;
    if (this.#video && this.#partVideo.length === 0) return; // audio waits for its picture
    const tracks = [];
    if (this.#video && this.#partVideo.length > 0) tracks.push({ trackId: this.#video.id, baseMediaDecodeTime: this.#partVideo[0]!.time, samples: this.#partVideo });
    if (this.#audio && this.#partAudio.length > 0) tracks.push({ trackId: this.#audio.id, baseMediaDecodeTime: this.#partAudio[0]!.time, samples: this.#partAudio });
    const durationSec = this.#partVideo.length > 0
      ? this.#partVideo.reduce((n, s) => n + s.duration, 0) / VIDEO_TIMESCALE
      : this.#partAudio.reduce((n, s) => n + s.duration, 0) / this.#audio!.sampleRate;
    const index = this.#open.parts.length;
    this.#open.parts.push({
      uri: `part-${this.#open.msn}.${index}.m4s`,
      durationSec,
      independent: this.#partVideo.length > 0 ? this.#partVideo[0]!.keyFrame : true,
      data: writeFragment(this.#fragment++, tracks),
    });
    this.#partVideo = [];
    this.#partAudio = [];
    this.stats.parts++;
    this.#emit();
  }

  #closeSegment(force: boolean): void {
    if (!force) this.#closePart(undefined);
    if (force) this.#closePart(undefined, true);
    const open = this.#open;
    if (open.parts.length === 0) return;
    const durationSec = this.#openDuration();
    this.#maxSegmentSec = Math.max(this.#maxSegmentSec, durationSec);
    this.#segments.push({
      msn: open.msn,
      uri: `seg-${open.msn}.m4s`,
      durationSec,
      parts: open.parts,
      mapUri: open.mapUri,
      data: concatBytes(open.parts.map((p) => p.data)),
    });
    this.stats.segments++;
    if (this.#window > 0) {
      while (this.#segments.length > this.#window) this.#segments.shift();
      const live = new Set(this.#segments.map((s) => s.mapUri).concat(this.#mapUri));
      for (const uri of this.#inits.keys()) if (!live.has(uri)) this.#inits.delete(uri);
    }
    this.#open = { msn: open.msn + 1, parts: [], mapUri: this.#mapUri };
    this.#emit();
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }

  /* ---- what an HTTP layer serves ---- */

  init(uri = 'init.mp4'): Uint8Array | undefined {
    return this.#inits.get(uri);
  }

  get initUris(): readonly string[] {
    return [...this.#inits.keys()];
  }

  segment(msn: number): Uint8Array | undefined {
    return this.#segments.find((s) => s.msn === msn)?.data;
  }

  part(msn: number, index: number): Uint8Array | undefined {
    const seg = this.#segments.find((s) => s.msn === msn);
    if (seg) return seg.parts[index]?.data;
    return this.#open.msn === msn ? this.#open.parts[index]?.data : undefined;
  }

  /** Complete segments in the window, oldest first. */
  get segments(): readonly { readonly msn: number; readonly uri: string; readonly durationSec: number; readonly data: Uint8Array; readonly mapUri: string }[] {
    return this.#segments;
  }

  playlistState(): PlaylistState {
    const targetDurationSec = Math.max(1, Math.ceil(Math.max(this.#segmentTarget, this.#maxSegmentSec) - 1e-9));
    return {
      targetDurationSec,
      partTargetSec: this.#partTarget,
      segments: this.#segments,
      open: this.#ended ? undefined : this.#open,
      nextPartUri: this.#ended ? undefined : `part-${this.#open.msn}.${this.#open.parts.length}.m4s`,
      ended: this.#ended,
    };
  }

  playlist(): string {
    return renderLlHlsPlaylist(this.playlistState());
  }

  reloadState(msn: number, part: number | undefined): 'ready' | 'wait' | 'too-far' {
    return blockingReloadState(this.playlistState(), msn, part);
  }
}
