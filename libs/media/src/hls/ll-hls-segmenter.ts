/**
 * The pure core the packager and `jt1078 package` share: muxer-ready samples in, LL-HLS parts,
 * segments, init segments and the playlist out. Segments begin exactly where the caller says
 * (the SegmentMarker's marks: a key frame, or on time for audio-only streams) and carry the
 * number it gives; parts are ~partTargetMs (never longer) and a key frame starts a new one. A
 * segment's bytes are its parts' bytes, one after the other, so a CDN holds the same media under
 * both names.
 *
 * Replicas: everything a segment contains is decided by the samples pushed since its mark —
 * part boundaries, fragment sequence numbers (from the segment's number and the part's index),
 * audio membership (what was pushed before the mark belongs to the segment before it) — and
 * init segments can be named by their content, so two instances that start at the same mark
 * produce the same bytes under the same names, whenever each of them started.
 */
import { writeFragment, type FragmentSample } from '../fmp4/fragment-writer.js';
import { VIDEO_TIMESCALE, type AudioTrackInfo, type VideoTrackInfo } from '../fmp4/track-info.js';
import { fragmentSequence } from './fragment-sequence.js';
import { InitSegmentStore, type InitSegmentNaming } from './init-segment-store.js';
import { blockingReloadState, renderLlHlsPlaylist, type PlaylistState } from './ll-hls-playlist.js';
import { SegmentWindow, type MediaPart } from './segment-window.js';

/**
 * Audio samples waiting for their video part. They wait only while a part is open, so this is
 * reached only when video stops and audio goes on (a camera fault): the oldest are dropped, counted.
 */
const MAX_QUEUED_AUDIO = 500;

/** A part other than a segment's last lasts at least this share of the part target (§4.4.4.9). */
const MIN_PART_RATIO = 0.85;

export interface LlHlsSegmenterOptions {
  /** Part target, ms (default 500). */
  readonly partTargetMs?: number;
  /** Segment target, ms (default 2000): the floor of TARGETDURATION. */
  readonly segmentTargetMs?: number;
  /** Complete segments kept (the live window); 0 keeps all (offline packaging). */
  readonly windowSegments?: number;
  /** How init segments are named (see InitSegmentStore); default 'ordinal'. */
  readonly initNames?: InitSegmentNaming;
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

export interface SegmentTracks {
  readonly video: VideoTrackInfo | undefined;
  readonly audio: AudioTrackInfo | undefined;
}

interface OpenSegment {
  readonly msn: number;
  readonly parts: MediaPart[];
  readonly mapUri: string;
  readonly discontinuity: number;
}

/** Where a segment begins: its number, the tracks when they change there, its discontinuity sequence number when it changes. */
export interface SegmentStart {
  readonly msn: number;
  readonly tracks?: SegmentTracks;
  readonly discontinuity?: number;
}

export interface SegmenterStats {
  parts: number;
  segments: number;
  videoSamples: number;
  audioSamples: number;
  /** Samples pushed before the first segment was opened. */
  droppedBeforeSegment: number;
  /** Audio dropped because video stopped coming (MAX_QUEUED_AUDIO). */
  droppedAudioOverflow: number;
  /** Segments opened and closed with nothing in them (their number is skipped). */
  emptySegments: number;
  /** Numbers listed as EXT-X-GAP (empty segments, and numbers skipped between two segments). */
  gaps: number;
  initSegments: number;
}

export class LlHlsSegmenter {
  readonly stats: SegmenterStats = { parts: 0, segments: 0, videoSamples: 0, audioSamples: 0, droppedBeforeSegment: 0, droppedAudioOverflow: 0, emptySegments: 0, gaps: 0, initSegments: 0 };
  readonly #partTarget: number;
  readonly #segmentTarget: number;
  #video: VideoTrackInfo | undefined;
  #audio: AudioTrackInfo | undefined;
  readonly #inits: InitSegmentStore;
  readonly #window: SegmentWindow;
  #open: OpenSegment | undefined;
  #discontinuity = 0;
  #lastMsn: number | undefined;
  #ended = false;
  /** The last video sample, waiting for the next one to know its duration. */
  #held: VideoInput | undefined;
  #partVideo: Array<FragmentSample & { time: number }> = [];
  #partAudio: Array<FragmentSample & { time: number }> = [];
  #audioQueue: AudioInput[] = [];
  readonly #listeners = new Set<() => void>();

  constructor(opts: LlHlsSegmenterOptions = {}) {
    this.#partTarget = (opts.partTargetMs ?? 500) / 1000;
    this.#segmentTarget = (opts.segmentTargetMs ?? 2000) / 1000;
    this.#window = new SegmentWindow(opts.windowSegments ?? 0);
    this.#inits = new InitSegmentStore(opts.initNames ?? 'ordinal');
  }

  /** The tracks segments are cut for now; a change takes effect from the next segment opened. */
  get tracks(): SegmentTracks {
    return { video: this.#video, audio: this.#audio };
  }

  /** Sets the tracks before the first segment (later: pass them with the mark that opens a segment). */
  setTracks(video: VideoTrackInfo | undefined, audio: AudioTrackInfo | undefined): void {
    if (!this.#inits.set(video, audio)) return;
    this.#video = video;
    this.#audio = audio;
    this.stats.initSegments++;
  }

  /** Notified after every new part (blocking playlist reloads wait on this). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The number of the segment being filled, if one is open. */
  get openMsn(): number | undefined {
    return this.#open?.msn;
  }

  /** The number of the last segment opened (the next one must be this + 1 to continue the playlist). */
  get lastMsn(): number | undefined {
    return this.#lastMsn;
  }

  /** The discontinuity sequence number segments are opened in now. */
  get discontinuity(): number {
    return this.#discontinuity;
  }

  /**
   * The media before this point ends here (a device's connection ended): the held sample and the
   * open segment are closed. The next segment opened starts after a timestamp reset, in the
   * discontinuity sequence it is given.
   */
  interrupt(): void {
    if (this.#ended) return;
    this.#closeHeld(undefined);
    this.#closeSegment();
  }

  /**
   * A video sample; with `opensSegment`, it is the key frame that begins segment
   * `opensSegment.msn` (with `tracks` when they change there).
   */
  pushVideo(sample: VideoInput, opensSegment?: SegmentStart): void {
    if (this.#ended) return;
    if (opensSegment) {
      this.#closeHeld(sample.time);
      this.#closeSegment(opensSegment);
    }
    if (!this.#video || !this.#open) {
      this.stats.droppedBeforeSegment++;
      return;
    }
    this.stats.videoSamples++;
    const held = this.#held;
    this.#held = sample;
    if (!held) return;
    const duration = Math.max(1, sample.time - held.time);
    this.#addVideo(held, duration);
    // A part with no room for one more frame like this one is complete now: announce it without
    // waiting for the next frame (a frame interval less latency).
    if (!sample.keyFrame && this.#partVideo.reduce((n, s) => n + s.duration, 0) + duration > this.#partTarget * VIDEO_TIMESCALE + 1e-6) this.#closePart(sample.time);
    // A key frame inside a segment starts a new (independent) part unless that would leave the
    // part before it under 85 % of the target, which only a segment's last part may be
    // (draft-pantos-hls-rfc8216bis §4.4.4.9).
    if (sample.keyFrame && this.#partVideo.reduce((n, s) => n + s.duration, 0) / VIDEO_TIMESCALE >= MIN_PART_RATIO * this.#partTarget) this.#closePart(sample.time);
  }

  /** Begins a segment here without a video sample (audio-only streams, cut on time). */
  openSegment(start: SegmentStart): void {
    if (this.#ended) return;
    this.#closeHeld(undefined);
    this.#closeSegment(start);
  }

  pushAudio(sample: AudioInput): void {
    if (!this.#audio || this.#ended) return;
    if (!this.#open) {
      this.stats.droppedBeforeSegment++;
      return;
    }
    this.stats.audioSamples++;
    if (this.#video) {
      // Audio joins the video part it falls in (by time) when that part closes.
      if (this.#audioQueue.length >= MAX_QUEUED_AUDIO) {
        this.#audioQueue.shift();
        this.stats.droppedAudioOverflow++;
      }
      this.#audioQueue.push(sample);
      return;
    }
    // Audio only: parts are cut on the audio clock.
    const rate = this.#audio.sampleRate;
    const partSec = this.#partAudio.reduce((n, s) => n + s.duration, 0) / rate;
    if (this.#partAudio.length > 0 && partSec + sample.duration / rate > this.#partTarget + 1e-9) this.#closePart(undefined);
    this.#partAudio.push({ data: sample.data, duration: sample.duration, keyFrame: true, time: sample.time });
  }

  /** The stream ended: the held sample and open part and segment are closed; the playlist becomes VOD. */
  end(): void {
    if (this.#ended) return;
    this.#closeHeld(undefined);
    this.#closeSegment();
    this.#ended = true;
    this.#emit();
  }

  /** The stream came back after end() (its device reconnected): segments are cut again, after a discontinuity. */
  resume(): void {
    this.#ended = false;
  }

  #addVideo(sample: VideoInput, duration: number): void {
    const partTicks = this.#partVideo.reduce((n, s) => n + s.duration, 0);
    if (this.#partVideo.length > 0 && (partTicks + duration) / VIDEO_TIMESCALE > this.#partTarget + 1e-9) this.#closePart(sample.time);
    this.#partVideo.push({ data: sample.data, duration, keyFrame: sample.keyFrame, time: sample.time });
  }

  /** The held video sample goes into the open part, its duration up to `nextTime` (or the last one's). */
  #closeHeld(nextTime: number | undefined): void {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    const prev = this.#partVideo[this.#partVideo.length - 1];
    const duration = nextTime !== undefined ? Math.max(1, nextTime - held.time) : prev ? prev.duration : Math.round(VIDEO_TIMESCALE / 25);
    if (this.#open && this.#video) this.#addVideo(held, duration);
  }

  #toAudioTime(videoTicks: number): number {
    return this.#audio ? Math.round((videoTicks * this.#audio.sampleRate) / VIDEO_TIMESCALE) : 0;
  }

  /**
   * Closes the current part at video time `atTicks`: queued audio before that time joins it.
   * Without `atTicks` (the segment ends) all queued audio joins: it was pushed before the mark.
   */
  #closePart(atTicks: number | undefined, notify = true): void {
    const open = this.#open;
    if (!open) return;
    if (this.#video) {
      const limit = atTicks === undefined ? Infinity : this.#toAudioTime(atTicks);
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
      // Audio before the segment's first picture has nothing to play against: at the segment's
      // end it is dropped with the segment's leftovers.
      if (this.#partVideo.length === 0) return;
    }
    if (this.#partVideo.length === 0 && this.#partAudio.length === 0) return;
    const tracks = [];
    if (this.#video && this.#partVideo.length > 0) tracks.push({ trackId: this.#video.id, baseMediaDecodeTime: this.#partVideo[0]!.time, samples: this.#partVideo });
    if (this.#audio && this.#partAudio.length > 0) tracks.push({ trackId: this.#audio.id, baseMediaDecodeTime: this.#partAudio[0]!.time, samples: this.#partAudio });
    const durationSec = this.#partVideo.length > 0
      ? this.#partVideo.reduce((n, s) => n + s.duration, 0) / VIDEO_TIMESCALE
      : this.#partAudio.reduce((n, s) => n + s.duration, 0) / this.#audio!.sampleRate;
    const index = open.parts.length;
    open.parts.push({
      uri: `part-${open.msn}.${index}.m4s`,
      durationSec,
      independent: this.#partVideo.length > 0 ? this.#partVideo[0]!.keyFrame : true,
      data: writeFragment(fragmentSequence(open.msn, index), tracks),
    });
    this.#partVideo = [];
    this.#partAudio = [];
    this.stats.parts++;
    if (notify) this.#emit();
  }

  /**
   * Closes the open segment and, with `next`, opens the next in the same step, so listeners
   * never see the stream without an open segment.
   */
  #closeSegment(next?: SegmentStart): void {
    // The segment's last part is announced with the segment (a segment's last part may be short, any other may not).
    this.#closePart(undefined, false);
    const open = this.#open;
    // What could not go into a part (audio before any picture) does not spill into the next segment.
    this.#audioQueue = [];
    this.#partAudio = [];
    this.#partVideo = [];
    const before = { mapUri: open?.mapUri ?? this.#window.last?.mapUri ?? this.#inits.currentUri, discontinuity: this.#discontinuity };
    if (next?.tracks) this.setTracks(next.tracks.video, next.tracks.audio);
    if (next?.discontinuity !== undefined) this.#discontinuity = next.discontinuity;
    if (next) this.#lastMsn = next.msn;
    this.#open = next === undefined ? undefined : { msn: next.msn, parts: [], mapUri: this.#inits.currentUri, discontinuity: this.#discontinuity };
    if (open && open.parts.length === 0) this.stats.emptySegments++;
    if (open && open.parts.length > 0) {
      this.#window.add(open);
      this.stats.segments++;
    }
    // Numbers between the last one listed and the next one are listed as gaps (SegmentWindow).
    const gaps = next ? this.#window.addGapsBefore(next.msn, before) : 0;
    this.stats.gaps += gaps;
    if (!open?.parts.length && gaps === 0) {
      if (open && next) this.#emit();
      return;
    }
    // A live window forgets the init segments no listed segment needs any more.
    if (this.#window.size > 0) this.#inits.keepOnly(this.#window.segments.map((s) => s.mapUri));
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
    return this.#inits.uris;
  }

  /** The init segment the newest media needs. */
  get currentInitUri(): string | undefined {
    return this.#open?.mapUri || this.#window.last?.mapUri || undefined;
  }

  segment(msn: number): Uint8Array | undefined {
    return this.#window.find(msn)?.data;
  }

  part(msn: number, index: number): Uint8Array | undefined {
    const seg = this.#window.find(msn);
    if (seg) return seg.parts[index]?.data;
    return this.#open?.msn === msn ? this.#open.parts[index]?.data : undefined;
  }

  /** Complete segments in the window, oldest first. */
  get segments(): readonly { readonly msn: number; readonly uri: string; readonly durationSec: number; readonly data: Uint8Array; readonly mapUri: string; readonly gap?: boolean }[] {
    return this.#window.segments;
  }

  playlistState(): PlaylistState {
    // From the window, not from history: replicas holding the same window say the same.
    const longest = this.#window.segments.reduce((m, s) => Math.max(m, s.durationSec), this.#segmentTarget);
    const targetDurationSec = Math.max(1, Math.ceil(longest - 1e-9));
    const open = this.#ended ? undefined : this.#open;
    return {
      targetDurationSec,
      partTargetSec: this.#partTarget,
      segments: this.#window.segments,
      open,
      nextPartUri: open ? `part-${open.msn}.${open.parts.length}.m4s` : undefined,
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
