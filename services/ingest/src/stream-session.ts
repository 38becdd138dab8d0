/**
 * One stream (SIM + channel) on one device connection: claims its name, emits join, stamps and
 * numbers frames, gates them by bus pressure, and emits leave when it ends. Frames that arrive
 * while the name is being claimed wait in a bounded queue.
 */
import { formatCallbackTime } from '@jt1078/runtime/time';
import type { AssembledFrame } from '@jt1078/jt1078';
import { StreamStats } from './stream-stats.js';
import { KeyFrameGate, type DropReason } from './key-frame-gate.js';
import type { EventPublisher, FramePublisher, IngestFrame, StreamKind, StreamNameClaims } from './ingest-ports.js';
import { StreamNumbering } from '@jt1078/numbering';
import { StreamClock } from './stream-clock.js';
import { streamEventId } from './stream-event-id.js';
import { orphanLeave } from './orphan-leave.js';
import { claimStreamName } from './stream-name-claim.js';

/** Frames held while the registry answers; at 25 fps + audio, about 5 s. */
export const MAX_FRAMES_BEFORE_CLAIM = 400;
/**
 * One frame in this many has its publish call timed (jt1078_ingest_publish_seconds): an
 * observation costs about a microsecond, and the clock reads around every call more than that.
 */
export const PUBLISH_TIME_SAMPLE = 16;

export interface StreamSessionDeps {
  readonly kind: StreamKind;
  readonly prefix: string;
  readonly sim: string;
  readonly channel: number;
  readonly connectionId: string;
  readonly pod: string;
  readonly publisher: FramePublisher;
  readonly events: EventPublisher;
  readonly claims: StreamNameClaims;
  readonly registryTtlMs: number;
  /** HLS segment target (cluster.hls.segment_ms): the ingest marks where segments begin. */
  readonly segmentTargetMs: number;
  readonly now: () => Date;
  readonly monotonicMs: () => number;
  readonly onDrop: (reason: DropReason | 'claim-queue-full' | 'no-codec' | 'publish-error', frame: AssembledFrame) => void;
  /** `publishMs`: how long the publish call took (the client's buffering, not the network), for one frame in PUBLISH_TIME_SAMPLE. */
  readonly onPublished: (frame: IngestFrame, publishMs: number | undefined) => void;
  readonly onError: (err: unknown, what: string) => void;
}

export class StreamSession {
  readonly baseName: string;
  readonly startedAt: Date;
  name: string | undefined;
  #sequence = 0;
  readonly #clock: StreamClock;
  readonly #gate = new KeyFrameGate();
  /** Codecs, size, rates and drops for /api/v1/streams, stored with each registry heartbeat. */
  readonly #stats = new StreamStats();
  /** Set once the name is claimed (its cursor decides where the numbers go on). */
  #numbering: StreamNumbering | undefined;
  #pending: AssembledFrame[] | undefined = [];
  readonly #claimed: Promise<void>;
  #joinBody: Record<string, unknown> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #ended = false;
  /** A cursor write failed (logged once until one succeeds). */
  #cursorFailing = false;

  constructor(private readonly deps: StreamSessionDeps) {
    this.baseName = `${deps.prefix}-${deps.sim}-${deps.channel}`;
    this.startedAt = deps.now();
    this.#clock = new StreamClock(deps.kind === 'live' ? 'arrival' : 'device', deps.monotonicMs());
    this.#claimed = this.#claim();
  }

  get framesPublished(): number {
    return this.#sequence;
  }

  get clockCorrections(): number {
    return this.#clock.corrections;
  }

  async #claim(): Promise<void> {
    const d = this.deps;
    const startTime = formatCallbackTime(this.startedAt);
    const provisional = { streamPath: this.baseName, sim: d.sim, channel: d.channel, startTime };
    try {
      const claim = await claimStreamName(d.claims, this.baseName, { pod: d.pod, connectionId: d.connectionId, sim: d.sim, channel: d.channel, kind: d.kind, startTime, joinBody: provisional }, d.registryTtlMs);
      this.name = claim.name;
      // The device came back after its pod died: that connection's leave first (exactly one: its
      // entry is gone from the registry, so no reaper will emit it).
      if (claim.takenOver) {
        const leave = orphanLeave(claim.takenOver, d.now());
        try {
          await d.events.publishEvent(leave);
        } catch (err) {
          d.onError(err, 'leave of the taken-over connection could not be stored');
        }
      }
    } catch (err) {
      // The registry is down: publish under the base name rather than lose the stream; the
      // duplicate-name rule cannot be applied, which is logged.
      d.onError(err, 'stream registry claim failed; publishing under the base name');
      this.name = this.baseName;
    }
    await this.#continueNumbering();
    this.#joinBody = { ...provisional, streamPath: this.name };
    const owner = { pod: d.pod, connectionId: d.connectionId, sim: d.sim, channel: d.channel, kind: d.kind, startTime, joinBody: this.#joinBody };
    // A connection that closed while the name was being claimed has ended this session already:
    // no heartbeat for it (end() releases the name once the claim settles), or the interval
    // would renew a dead stream forever and keep the connection in memory.
    if (!this.#ended) this.#heartbeat = setInterval(() => {
      void d.claims.renew(this.name!, { ...owner, meta: this.#stats.snapshot() }, d.registryTtlMs).then(
        (owned) => owned || d.onError(new Error(`lost ownership of ${this.name}`), 'registry renew'),
        (err) => d.onError(err, 'registry renew failed'),
      );
    }, Math.max(1000, d.registryTtlMs / 3));
    this.#heartbeat?.unref();
    await this.#publishEvent('join', this.#joinBody);
    const queued = this.#pending ?? [];
    this.#pending = undefined;
    if (!this.#ended) for (const f of queued) this.#publish(f);
  }

  /**
   * Segment numbers: where the name's previous connection left them when it ended cleanly (so a
   * reconnecting device continues its playlist, after a discontinuity), else from this
   * connection's start time.
   */
  async #continueNumbering(): Promise<void> {
    const d = this.deps;
    let cursor;
    try {
      cursor = await d.claims.takeCursor(this.name!);
    } catch (err) {
      d.onError(err, 'segment cursor could not be read; numbering afresh (players restart the playlist)');
    }
    this.#numbering = new StreamNumbering(d.segmentTargetMs, this.startedAt.getTime(), cursor);
  }

  async #publishEvent(action: 'join' | 'leave', body: Record<string, unknown>): Promise<void> {
    const d = this.deps;
    try {
      await d.events.publishEvent({
        id: streamEventId(d.connectionId, d.sim, d.channel, action),
        type: d.kind === 'live' ? 'realtime' : 'playback',
        action,
        streamKey: this.name ?? this.baseName,
        body,
      });
    } catch (err) {
      d.onError(err, `${action} event could not be stored`);
    }
  }

  push(frame: AssembledFrame): void {
    if (this.#ended) return;
    if (this.#pending) {
      if (this.#pending.length >= MAX_FRAMES_BEFORE_CLAIM) {
        this.#stats.drop();
        this.deps.onDrop('claim-queue-full', frame);
        return;
      }
      this.#pending.push(frame);
      return;
    }
    this.#publish(frame);
  }

  #publish(frame: AssembledFrame): void {
    const d = this.deps;
    if (!frame.codec || frame.kind === 'passthrough') {
      d.onDrop('no-codec', frame);
      return;
    }
    const mediaKind = frame.kind;
    const dropped = this.#gate.admit({ mediaKind, keyFrame: frame.keyFrame }, d.publisher.pressure());
    if (dropped) {
      this.#stats.drop();
      d.onDrop(dropped, frame);
      return;
    }
    const timestamp = this.#clock.stamp(mediaKind, frame.exactTimestamp ?? frame.timestamp, d.monotonicMs());
    const mark = this.#numbering!.mark({ mediaKind, keyFrame: frame.keyFrame, timestamp });
    if (mark !== undefined) this.#saveCursor();
    const out: IngestFrame = {
      streamKind: d.kind,
      sim: d.sim,
      channel: d.channel,
      codec: frame.codec,
      mediaKind,
      keyFrame: frame.keyFrame,
      timestamp,
      sequence: this.#sequence++,
      connectionId: d.connectionId,
      streamPath: this.name!,
      ...mark,
      data: frame.data,
    };
    const timed = this.#sequence % PUBLISH_TIME_SAMPLE === 0;
    const started = timed ? performance.now() : 0;
    try {
      d.publisher.publishFrame(out);
    } catch {
      // The bus refused the frame (a value it cannot carry): counted and digested by onDrop,
      // never thrown at the socket.
      d.onDrop('publish-error', frame);
      return;
    }
    this.#stats.frame(out);
    d.onPublished(out, timed ? performance.now() - started : undefined);
  }

  /** At every segment mark, one write: a crash of this pod leaves the numbering for the device's next connection. */
  #saveCursor(): void {
    const d = this.deps;
    d.claims.saveCursor(this.name!, this.#numbering!.cursor).catch((err: unknown) => {
      if (!this.#cursorFailing) d.onError(err, 'segment cursor not saved (a crash now would restart the playlist)');
      this.#cursorFailing = true;
    });
  }

  /** Ends the stream: the leave event (with `extra`, e.g. debug capture fields) and the release. */
  async end(extra: Record<string, unknown> = {}): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#heartbeat);
    await this.#claimed;
    const d = this.deps;
    await this.#publishEvent('leave', { ...this.#joinBody, endTime: formatCallbackTime(d.now()), ...extra });
    try {
      // A clean end: the name's next connection continues the numbering from here.
      await d.claims.release(this.name!, d.connectionId, this.#numbering?.cursor);
    } catch (err) {
      d.onError(err, 'registry release failed (the entry expires by itself)');
    }
  }
}
