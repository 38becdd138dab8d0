/**
 * Window replay over core NATS request–reply (DESIGN.md "NATS", README "subjects"):
 *
 *     request  <root>.replay.<kind>.<sim>.<channel>    (empty payload, a reply inbox)
 *     replies  one message per frame (or per chunk of a big frame), exactly as it was published
 *              on <root>.media.<kind>.<sim>.<channel> (same headers, same payload), oldest first,
 *              from a segment mark; then an empty message with `Jt1078-Replay-End: <frames>`.
 *
 * The pod that publishes a stream subscribes to its replay subject while it holds a window for
 * it, so a request for a stream nobody owns gets NATS' "no responders" status at once (the
 * requester then starts live, at the next segment mark) instead of waiting for a timeout.
 * Replies to one request are published back to back on one connection, so they arrive in order.
 */
import { Empty, createInbox, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { EncodedHeaders } from './encoded-headers.js';
import { parseHeaderBlock, type HeaderMap } from './frame-envelope.js';
import type { WireMessage } from './frame-messages.js';
import { BatchMessage } from './nats-wire-batch.js';
import { ReplayWindows, type ReplayWindowOptions } from './replay-window.js';

/** Header on the message that ends a replay: the number of frames it carried. */
export const REPLAY_END_HEADER = 'Jt1078-Replay-End';

/** How a replay request ended. */
export type ReplayOutcome = 'replayed' | 'no-owner' | 'timeout';

export function headerMap(h: MsgHdrs | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (h) for (const [k, v] of h) m.set(k, v[0] ?? '');
  return m;
}

/**
 * A message's headers read straight from the bytes nats.js received (MsgImpl keeps them in
 * `_rdata`, the header block's length in `_msg.hdr`): nats.js' own decoding canonicalises and
 * validates every key into a MsgHdrsImpl, which was a twentieth of the packager's CPU and more of
 * its garbage. Falls back to `msg.headers` when those internals are not there.
 */
export function messageHeaders(msg: Msg): Map<string, string> {
  const raw = msg as unknown as { readonly _rdata?: Uint8Array; readonly _msg?: { readonly hdr: number } };
  const hdr = raw._msg?.hdr ?? -1;
  if (raw._rdata instanceof Uint8Array && hdr > 0) {
    try {
      return parseHeaderBlock(raw._rdata.subarray(0, hdr));
    } catch {
      // Not a block this parser reads: nats.js' decoder decides.
    }
  }
  return headerMap(msg.headers);
}

/** The replay subject of a media subject (`<root>.media.…` → `<root>.replay.…`). */
export function replaySubjectOf(root: string, mediaSubject: string): string {
  return `${root}.replay.${mediaSubject.slice(root.length + '.media.'.length)}`;
}

/**
 * Window bytes that did not go out in a batch (nats-wire-batch.ts: the window keeps views into
 * those) are copied into per-stream arenas of this size: a frame's buffer is usually a view into
 * a slab shared by every stream's frames and packets (libs/jt1078 byte-slab.ts), so keeping the
 * views for the window would keep every slab of the last ~16 s alive (a 1 GB RSS at 200 devices)
 * and give the old generation that much more to mark. Whole segments leave the window from its
 * front, so an arena is freed once its last frame is dropped: at most one partly used arena per
 * stream is held beyond the window's bytes.
 */
const ARENA_BYTES = 64 * 1024;

/** Copies of the messages one stream's window keeps, carved out of arenas (see ARENA_BYTES). */
class WindowArena {
  #buf = new Uint8Array(0);
  #used = 0;

  copy(m: WireMessage): BatchMessage {
    const headers = m.headers;
    const data = m.data;
    const size = headers.length + data.length;
    let buf: Uint8Array;
    let start: number;
    if (size > ARENA_BYTES / 4) {
      buf = new Uint8Array(size);
      start = 0;
    } else {
      if (this.#used + size > this.#buf.length) {
        this.#buf = new Uint8Array(ARENA_BYTES);
        this.#used = 0;
      }
      buf = this.#buf;
      start = this.#used;
      this.#used += size;
    }
    buf.set(headers, start);
    buf.set(data, start + headers.length);
    return new BatchMessage(buf, start, headers.length, data.length);
  }
}

export interface FrameReplayCounters {
  /** Requests this pod answered, and the frames it sent in them. */
  answered: number;
  framesSent: number;
}

/**
 * The owner's side: keeps the window of every stream this connection publishes and answers
 * replay requests for them.
 */
export class FrameReplayResponder {
  readonly windows: ReplayWindows<readonly WireMessage[]>;
  readonly #subs = new Map<string, Subscription>();
  readonly #arenas = new Map<string, WindowArena>();
  readonly #sweep: NodeJS.Timeout;
  readonly counters: FrameReplayCounters = { answered: 0, framesSent: 0 };
  #closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly root: string,
    opts: Omit<ReplayWindowOptions, 'onOpen' | 'onClose'>,
  ) {
    this.windows = new ReplayWindows({ ...opts, onOpen: (s) => this.#open(s), onClose: (s) => this.#close(s) });
    this.#sweep = setInterval(() => this.windows.sweep(), Math.max(1000, opts.keepMs / 4)).unref();
  }

  /**
   * A frame this pod published on `mediaSubject`, as the messages that carried it, copied (they
   * went through nc.publish: their bytes may be views into buffers shared with other frames).
   */
  record(mediaSubject: string, messages: readonly WireMessage[], mark: boolean): void {
    if (this.#closed) return;
    let arena = this.#arenas.get(mediaSubject);
    if (!arena) {
      arena = new WindowArena();
      this.#arenas.set(mediaSubject, arena);
    }
    let bytes = 0;
    const kept: WireMessage[] = [];
    for (const m of messages) {
      const copy = arena.copy(m);
      bytes += copy.headerLength + copy.dataLength;
      kept.push(copy);
    }
    this.windows.record(mediaSubject, { value: kept, bytes, mark });
  }

  /** As record, for messages that are views into a sent batch (nats-wire-batch.ts), kept as they are. */
  keep(mediaSubject: string, messages: readonly BatchMessage[], mark: boolean): void {
    if (this.#closed) return;
    let bytes = 0;
    for (const m of messages) bytes += m.headerLength + m.dataLength;
    this.windows.record(mediaSubject, { value: messages, bytes, mark });
  }

  #open(mediaSubject: string): void {
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    const sub = this.nc.subscribe(replaySubjectOf(this.root, mediaSubject), {
      callback: (err, msg) => {
        if (err || !msg.reply) return;
        this.#answer(mediaSubject, msg.reply);
      },
    });
    this.#subs.set(mediaSubject, sub);
  }

  #answer(mediaSubject: string, reply: string): void {
    const frames = this.windows.read(mediaSubject);
    try {
      for (const messages of frames) {
        for (const m of messages) this.nc.publish(reply, m.data, { headers: new EncodedHeaders(m.headers) });
      }
      const end = natsHeaders();
      end.set(REPLAY_END_HEADER, String(frames.length));
      this.nc.publish(reply, Empty, { headers: end });
      this.counters.answered++;
      this.counters.framesSent += frames.length;
    } catch {
      // Closed meanwhile: the requester times out and starts live.
    }
  }

  #close(mediaSubject: string): void {
    this.#subs.get(mediaSubject)?.unsubscribe();
    this.#subs.delete(mediaSubject);
    this.#arenas.delete(mediaSubject);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweep);
    this.windows.clear();
  }
}

/**
 * The requester's side: asks the owner of `mediaSubject` for its window and hands each message to
 * `onMessage` (headers and payload as on the media subject). Resolves when the owner's end
 * marker arrives, at once when nobody owns the stream, or after `timeoutMs`.
 */
export async function requestReplay(
  nc: NatsConnection,
  root: string,
  mediaSubject: string,
  onMessage: (headers: HeaderMap, data: Uint8Array) => void,
  timeoutMs: number,
): Promise<ReplayOutcome> {
  const inbox = createInbox();
  let timer: NodeJS.Timeout | undefined;
  let sub: Subscription | undefined;
  let done = false;
  try {
    return await new Promise<ReplayOutcome>((settle) => {
      const resolve = (o: ReplayOutcome) => {
        done = true;
        settle(o);
      };
      sub = nc.subscribe(inbox, {
        callback: (err, msg) => {
          if (done) return;
          if (err) return resolve('timeout');
          if (msg.data.length === 0 && msg.headers?.code === 503) return resolve('no-owner');
          const h = messageHeaders(msg);
          if (h.has(REPLAY_END_HEADER)) return resolve('replayed');
          onMessage(h, msg.data);
        },
      });
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      nc.publish(replaySubjectOf(root, mediaSubject), Empty, { reply: inbox });
    });
  } finally {
    clearTimeout(timer);
    sub?.unsubscribe();
  }
}
