/**
 * Frames as a device sends them (Annex-B video, G.711/ADPCM/AAC audio, millisecond timestamps)
 * into an LlHlsSegmenter: the one path the packager service and `jt1078 package` share. Video
 * parameter sets become the sample entry, device audio becomes Opus (AAC passes through).
 *
 * Two sources:
 * - 'marked' (the packager, frames from the bus): timestamps are the ingest's — ms since the
 *   stream began, monotonic per track — and the frames that open segments carry their media
 *   sequence number. Nothing here depends on where the packager joined the stream: it begins at
 *   a mark, times come straight from the frames, audio is re-encoded per segment from the same
 *   pre-roll, so every replica produces the same bytes under the same names.
 * - 'device' (`jt1078 package`, a capture): raw device timestamps (which stall, jump and step
 *   back) go through a TrackTimeline for video; audio is timed by its samples, anchored to the
 *   device clock (AudioSampleClock), as the live path times it; the SegmentMarker runs here.
 */
import { AUDIO_RESYNC_MS, AudioTranscoder, canTranscode, type AudioDecodeOptions } from '../audio/index.js';
import type { MediaFrame } from '../codec/media-frame.js';
import { VIDEO_TIMESCALE, type AudioTrackInfo, type VideoTrackInfo } from '../fmp4/track-info.js';
import { LlHlsSegmenter, type LlHlsSegmenterOptions, type SegmentStart, type SegmentTracks } from '../hls/ll-hls-segmenter.js';
import { SegmentMarker } from '@jt1078/numbering';
import { AudioSampleClock, TrackTimeline } from '../timeline/index.js';
import { VideoParameterSetTracker } from '../video/video-parameter-set-tracker.js';

export interface PackagerFrame extends MediaFrame {
  /** On the frame that opens a segment ('marked' source): the segment's media sequence number. */
  readonly segment?: number;
  /** With `segment`: the segment's discontinuity sequence number (it grows with each device connection). */
  readonly discontinuity?: number;
  /** The frame's number in its stream from 0, when known: whether the stream was seen from its start. */
  readonly sequence?: number;
}

export interface MediaFramePackagerOptions extends Omit<LlHlsSegmenterOptions, 'initNames'> {
  /** Where timestamps and segment boundaries come from (see the file comment); default 'device'. */
  readonly source?: 'device' | 'marked';
  /**
   * Whether the stream has video and/or audio. 'auto' waits up to `trackWaitMs` of stream time
   * after the first segment's mark for the other kind before packaging with what it has (a live
   * stream whose codecs are not known in advance).
   */
  readonly expectVideo?: boolean | 'auto';
  readonly expectAudio?: boolean | 'auto';
  readonly trackWaitMs?: number;
  /** How to read the stream's audio where it does not say (ADPCM byte order, G.726 rate and packing). */
  readonly audio?: AudioDecodeOptions;
}

export interface PackagerStats {
  framesIn: number;
  unsupportedFrames: number;
  undecodableFrames: number;
  /** Frames before the first segment this packager could begin (a replica that joined late skips one segment). */
  framesBeforeStart: number;
  /** New tracks (parameter sets, a kind that appeared late) applied at a mark after the first. */
  trackChanges: number;
  /** Frames whose timestamp did not advance ('marked' source: the ingest guarantees it). */
  nonMonotonic: number;
}

/** Samples held while waiting for the other track's first frame (about 4 s at 25 fps + audio). */
const MAX_PENDING_SAMPLES = 300;
/**
 * Device audio frames the encoder is primed with at each segment: 3 frames, 60 ms of 20 ms
 * G.711 — enough for libopus's analysis window and lookahead to settle on the same audio.
 */
const AUDIO_PRE_ROLL_FRAMES = 3;

export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

export class MediaFramePackager {
  readonly segmenter: LlHlsSegmenter;
  readonly stats: PackagerStats = { framesIn: 0, unsupportedFrames: 0, undecodableFrames: 0, framesBeforeStart: 0, trackChanges: 0, nonMonotonic: 0 };
  readonly #marked: boolean;
  readonly #marker: SegmentMarker | undefined;
  #video: VideoParameterSetTracker | undefined;
  #audio: AudioTranscoder | undefined;
  #videoTrack: VideoTrackInfo | undefined;
  #audioTrack: AudioTrackInfo | undefined;
  /** 'device' source: video's timeline, audio's sample clock, and each track's start relative to the stream's first frame. */
  readonly #timelines = { video: new TrackTimeline(1) };
  readonly #audioClock = new AudioSampleClock(AUDIO_RESYNC_MS);
  readonly #audioOptions: AudioDecodeOptions;
  readonly #trackStartMs: { video?: number; audio?: number } = {};
  #originMs: number | undefined;
  readonly #lastMs = { video: -1, audio: -1 };
  readonly #expectVideo: boolean;
  readonly #expectAudio: boolean;
  readonly #trackWaitMs: number;
  /** Marks seen; the first one is usable only when the stream was seen from its start. */
  #marks = 0;
  #firstSequence: number | undefined;
  #started = false;
  /**
   * After newConnection(): the stream's next connection continues it, and its first mark is the
   * start of the segment the numbering continues with (the caller switches at that mark), not a
   * mark a late joiner may have come in after. Without this, a connection whose first frame was
   * not its first mark (audio came first) would start at its second mark, leaving the number of
   * the first one missing from the playlist.
   */
  #continuing = false;
  #startMs = 0;
  /** Samples held until the tracks are decided (undefined once they are). */
  #pending: Array<() => void> | undefined = [];
  #tracksChanged = false;
  /** The audio epoch: its anchor on the track clock, set by its first frame. */
  #audioEpochTime: number | undefined;
  readonly #preRoll: Array<{ readonly data: Uint8Array }> = [];
  /** The discontinuity sequence number the mark being handled carries. */
  #markDiscontinuity: number | undefined;

  constructor(opts: MediaFramePackagerOptions = {}) {
    this.#marked = opts.source === 'marked';
    this.#audioOptions = opts.audio ?? {};
    this.segmenter = new LlHlsSegmenter({ ...opts, initNames: this.#marked ? 'content' : 'ordinal' });
    // A capture known to have video is cut at its key frames only.
    this.#marker = this.#marked ? undefined : new SegmentMarker(opts.segmentTargetMs ?? 2000, 0, { audioMarks: opts.expectVideo !== true });
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
    let n = this.stats.nonMonotonic;
    for (const t of Object.values(this.#timelines)) n += t.stats.stalls + t.stats.backwards + t.stats.jumps + t.stats.resets;
    return n + this.#audioClock.resets;
  }

  get audioResyncs(): number {
    return (this.#audio?.resyncs ?? 0) + this.#audioClock.resyncs;
  }

  push(frame: PackagerFrame): void {
    this.stats.framesIn++;
    const kind = frame.kind;
    if (kind === 'video' ? frame.codec !== 'h264' && frame.codec !== 'h265' : !canTranscode(frame.codec)) {
      this.stats.unsupportedFrames++;
      return;
    }
    this.#firstSequence ??= frame.sequence;
    if (kind === 'audio') this.#audio ??= new AudioTranscoder(frame.codec as 'g711a', this.#audioOptions);
    const ms = this.#time(frame);
    // Video is parsed first: a key frame without parameter sets cannot begin a segment.
    let videoOut: ReturnType<VideoParameterSetTracker['push']>;
    if (kind === 'video') {
      this.#video ??= new VideoParameterSetTracker(frame.codec as 'h264' | 'h265');
      videoOut = this.#video.push(frame.data);
      if (!videoOut) {
        this.stats.undecodableFrames++;
        return;
      }
      if (videoOut.changed) {
        const d = this.#video.description!;
        this.#videoTrack = { kind: 'video', id: VIDEO_TRACK_ID, codec: d.codec, width: d.width, height: d.height, configRecord: d.configRecord };
        this.#tracksChanged = true;
      }
    }
    const msn = this.#marker
      ? this.#marker.mark({ mediaKind: kind, keyFrame: videoOut?.sample.keyFrame ?? false, timestamp: ms }, { force: videoOut?.changed === true && this.#started })
      : frame.segment;
    if (msn !== undefined) this.#marks++;
    const opens = msn !== undefined && (this.#started || this.#continuing || this.#firstSequence === 0 || this.#marks >= 2 || this.#marker !== undefined);
    if (!this.#started && !opens) {
      this.stats.framesBeforeStart++;
      if (kind === 'audio') this.#keepPreRoll(frame);
      return;
    }
    if (opens && !this.#started) {
      this.#started = true;
      this.#continuing = false;
      this.#startMs = ms;
    }
    if (opens) this.#markDiscontinuity = frame.discontinuity;
    if (kind === 'video') {
      this.#pushVideo(videoOut!.sample, ms, opens ? msn : undefined);
      this.#decideWhenKnown();
    } else {
      this.#pushAudio(frame, ms, opens ? msn : undefined);
    }
    if (this.#pending && this.#started && ms - this.#startMs > this.#trackWaitMs && (this.#videoTrack || this.#audioTrack)) this.#decideTracks();
  }

  /** Milliseconds on the stream's clock, strictly increasing per track. */
  #time(frame: PackagerFrame): number {
    const kind = frame.kind;
    let ms: number;
    if (this.#marked) {
      ms = frame.timestamp;
    } else {
      this.#originMs ??= frame.timestamp;
      this.#trackStartMs[kind] ??= Math.max(0, frame.timestamp - this.#originMs);
      ms = this.#trackStartMs[kind]! + (kind === 'video' ? this.#timelines.video.next(frame.timestamp) : this.#audioTime(frame));
    }
    if (ms <= this.#lastMs[kind]) {
      this.stats.nonMonotonic++;
      ms = this.#lastMs[kind] + 1;
    }
    this.#lastMs[kind] = ms;
    return ms;
  }

  /** 'device' source: the audio frame's place on the sample clock (ms from the track's start). */
  #audioTime(frame: PackagerFrame): number {
    let held: { samples: number; rate: number };
    try {
      held = this.#audio!.samplesOf(frame.data, frame.timestamp);
    } catch {
      held = { samples: 0, rate: 8000 }; // undecodable: it takes no time (and is counted when pushed)
    }
    return Math.round(this.#audioClock.next(frame.timestamp, held.samples, held.rate));
  }

  #pushVideo(sample: { data: Uint8Array; keyFrame: boolean }, ms: number, msn: number | undefined): void {
    const input = { data: sample.data, time: Math.round(ms * (VIDEO_TIMESCALE / 1000)), keyFrame: sample.keyFrame };
    if (msn !== undefined) {
      const tracks = this.#tracksAtMark();
      this.#restartAudio();
      const start = this.#segmentStart(msn, tracks);
      this.#deliver(() => this.segmenter.pushVideo(input, start));
    } else {
      this.#deliver(() => this.segmenter.pushVideo(input));
    }
  }

  #pushAudio(frame: PackagerFrame, ms: number, msn: number | undefined): void {
    const transcoder = this.#audio!;
    if (msn !== undefined) {
      const tracks = this.#tracksAtMark();
      this.#restartAudio();
      const start = this.#segmentStart(msn, tracks);
      this.#deliver(() => this.segmenter.openSegment(start));
    }
    let samples: ReturnType<AudioTranscoder['push']>;
    try {
      samples = transcoder.push({ data: frame.data, timestamp: ms });
    } catch {
      // A block shorter than its header, a broken ADTS frame: counted, and the stream goes on.
      this.stats.undecodableFrames++;
      return;
    }
    this.#keepPreRoll(frame);
    const track = transcoder.track;
    if (!track) return;
    if (!this.#audioTrack) {
      this.#audioTrack = { kind: 'audio', id: AUDIO_TRACK_ID, ...track };
      this.#tracksChanged = true;
      this.#decideWhenKnown();
    }
    this.#audioEpochTime ??= Math.round((ms * track.sampleRate) / 1000);
    const base = this.#audioEpochTime;
    for (const s of samples) this.#deliver(() => this.segmenter.pushAudio({ data: s.data, time: s.time + base, duration: s.duration }));
  }

  #segmentStart(msn: number, tracks: SegmentTracks | undefined): SegmentStart {
    return { msn, ...(tracks ? { tracks } : {}), ...(this.#markDiscontinuity === undefined ? {} : { discontinuity: this.#markDiscontinuity }) };
  }

  /**
   * The device's next connection continues this stream ('marked' source): its timestamps,
   * frame numbers and codec state start over, and its segments follow the last one after a
   * discontinuity. What was being cut is closed now; the new connection begins at its first mark.
   */
  newConnection(): void {
    this.segmenter.resume();
    this.segmenter.interrupt();
    this.#lastMs.video = -1;
    this.#lastMs.audio = -1;
    this.#marks = 0;
    this.#firstSequence = undefined;
    this.#started = false;
    this.#continuing = true;
    this.#preRoll.length = 0;
    this.#audioEpochTime = undefined;
  }

  /** A segment begins: the audio encoder starts over, primed with the frames just before. */
  #restartAudio(): void {
    this.#audio?.restart(this.#preRoll);
    this.#audioEpochTime = undefined;
  }

  #keepPreRoll(frame: PackagerFrame): void {
    this.#preRoll.push({ data: frame.data });
    if (this.#preRoll.length > AUDIO_PRE_ROLL_FRAMES) this.#preRoll.shift();
  }

  /** The tracks to give the segmenter at a mark, when they changed since the last one. */
  #tracksAtMark(): SegmentTracks | undefined {
    if (this.#pending !== undefined || !this.#tracksChanged) return undefined;
    this.#tracksChanged = false;
    this.stats.trackChanges++;
    return { video: this.#videoTrack, audio: this.#audioTrack };
  }

  /** Tracks are decided as soon as every expected kind is known (one init segment, not two). */
  #decideWhenKnown(): void {
    if (this.#pending && this.#started && (this.#videoTrack || !this.#expectVideo) && (this.#audioTrack || !this.#expectAudio)) this.#decideTracks();
  }

  /** Samples wait here until every expected track is known, so the first GOP is not lost. */
  #deliver(push: () => void): void {
    if (this.#pending) {
      this.#pending.push(push);
      if (this.#pending.length > MAX_PENDING_SAMPLES) this.#decideTracks();
      return;
    }
    push();
  }

  #decideTracks(): void {
    if (!this.#pending) return;
    const pending = this.#pending;
    this.#pending = undefined;
    this.#tracksChanged = false;
    this.segmenter.setTracks(this.#videoTrack, this.#audioTrack);
    for (const push of pending) push();
  }

  end(): void {
    // A stream that never showed an expected kind is packaged with what it had.
    if (this.#videoTrack || this.#audioTrack) this.#decideTracks();
    this.segmenter.end();
  }
}
