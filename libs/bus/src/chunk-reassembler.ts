/**
 * Puts frames cut by frameMessages back together (pure: bytes in, frames out, a clock passed in).
 * Bounded: an incomplete frame is given up after `timeoutMs`, at most `maxOpen` frames and
 * `maxOpenBytes` are held at once (the oldest is evicted), and every frame given up is counted by
 * reason — never dropped silently. A subscriber that starts in the middle of a chunked frame (or
 * a window whose oldest pieces aged out) sees pieces without their first one: that frame is
 * skipped and counted as `partial`, not held until it times out.
 */
import { FrameHeader, MalformedEnvelope, frameFromMessage, type FrameEnvelope, type HeaderMap } from './frame-envelope.js';

export type ReassemblyLoss = 'timeout' | 'evicted' | 'partial';

export interface ChunkReassemblerOptions {
  /** An incomplete frame is given up after this long (default 5000 ms: pieces of one frame are published back to back). */
  readonly timeoutMs?: number;
  /** Incomplete frames held at once (default 64: one per stream being reassembled at the same time). */
  readonly maxOpen?: number;
  /** Bytes held in incomplete frames at once (default 256 MiB). */
  readonly maxOpenBytes?: number;
  readonly now?: () => number;
  readonly onLoss?: (reason: ReassemblyLoss, key: string) => void;
}

/** A `Jt1078-Chunk` count above this is not a frame we made (64 MiB at 1 MB per piece; no video frame is that big). */
const MAX_CHUNK_COUNT = 64;

interface OpenFrame {
  readonly parts: Array<Uint8Array | undefined>;
  got: number;
  bytes: number;
  readonly started: number;
  /** The first piece was never seen: collect nothing, just wait for the last one. */
  readonly partial: boolean;
}

export class ChunkReassembler {
  readonly #open = new Map<string, OpenFrame>();
  readonly #timeoutMs: number;
  readonly #maxOpen: number;
  readonly #maxOpenBytes: number;
  readonly #now: () => number;
  readonly #onLoss: (reason: ReassemblyLoss, key: string) => void;
  #openBytes = 0;
  readonly losses: Record<ReassemblyLoss, number> = { timeout: 0, evicted: 0, partial: 0 };

  constructor(opts: ChunkReassemblerOptions = {}) {
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#maxOpen = opts.maxOpen ?? 64;
    this.#maxOpenBytes = opts.maxOpenBytes ?? 256 * 1024 * 1024;
    this.#now = opts.now ?? Date.now;
    this.#onLoss = opts.onLoss ?? (() => {});
  }

  /** Incomplete frames held now. */
  get open(): number {
    return this.#open.size;
  }

  /** The whole frame when `data` completes one (or is not chunked), else undefined. Throws MalformedEnvelope. */
  accept(subject: string, headers: HeaderMap, data: Uint8Array): FrameEnvelope | undefined {
    const chunk = headers.get(FrameHeader.chunk);
    if (chunk === undefined) return frameFromMessage(subject, headers, data);
    const m = /^(\d+)\/(\d+)$/.exec(chunk);
    const index = Number(m?.[1]);
    const count = Number(m?.[2]);
    if (!m || count < 1 || count > MAX_CHUNK_COUNT || index >= count) {
      throw new MalformedEnvelope(`bad ${FrameHeader.chunk} '${chunk}' on ${subject}`, subject);
    }
    const now = this.#now();
    this.sweep(now);
    const key = `${subject}|${headers.get(FrameHeader.connection)}|${headers.get(FrameHeader.sequence)}`;
    let entry = this.#open.get(key);
    if (!entry) {
      entry = { parts: new Array<Uint8Array | undefined>(count), got: 0, bytes: 0, started: now, partial: index !== 0 };
      if (entry.partial) this.#lose('partial', key);
      this.#open.set(key, entry);
    }
    if (entry.partial) {
      if (index === count - 1) this.#open.delete(key);
      return undefined;
    }
    if (entry.parts.length !== count) throw new MalformedEnvelope(`${FrameHeader.chunk} count changed within a frame on ${subject}`, subject);
    if (entry.parts[index] === undefined) {
      entry.parts[index] = data;
      entry.got++;
      entry.bytes += data.length;
      this.#openBytes += data.length;
    }
    if (entry.got < count) {
      this.#bound(key);
      return undefined;
    }
    this.#remove(key, entry);
    const whole = new Uint8Array(entry.bytes);
    let o = 0;
    for (const p of entry.parts) {
      whole.set(p!, o);
      o += p!.length;
    }
    return frameFromMessage(subject, headers, whole);
  }

  /** Gives up incomplete frames older than the timeout. */
  sweep(now = this.#now()): void {
    for (const [key, e] of this.#open) {
      if (now - e.started < this.#timeoutMs) break; // insertion order = start order
      this.#remove(key, e);
      if (!e.partial) this.#lose('timeout', key);
    }
  }

  /** Forgets everything held: the subscription ended, so nothing was lost to anyone. */
  clear(): void {
    this.#open.clear();
    this.#openBytes = 0;
  }

  #bound(keep: string): void {
    for (const [key, e] of this.#open) {
      if (this.#open.size <= this.#maxOpen && this.#openBytes <= this.#maxOpenBytes) return;
      if (key === keep && this.#open.size === 1) return;
      this.#remove(key, e);
      if (!e.partial) this.#lose('evicted', key);
    }
  }

  #remove(key: string, e: OpenFrame): void {
    this.#open.delete(key);
    this.#openBytes -= e.bytes;
  }

  #lose(reason: ReassemblyLoss, key: string): void {
    this.losses[reason]++;
    this.#onLoss(reason, key);
  }
}
