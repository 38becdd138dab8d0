/**
 * m7s-jt1078's debug capture: the raw bytes a device sends, as hex text (the format its
 * simulator replays), for the first `save_time_second` seconds of a connection. The leave
 * callback then names the file (`debugFile`) and how long it covers (`debugRecordTime`).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

export class DebugCapture {
  readonly file: string;
  readonly #stream: WriteStream;
  readonly #until: number;
  readonly #started: number;
  #stoppedAt: number | undefined;

  constructor(dir: string, name: string, seconds: number, nowMs: number) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${name.replace(/[^\w.-]+/g, '_')}-${nowMs}.txt`);
    this.#stream = createWriteStream(this.file);
    this.#stream.on('error', () => this.stop(nowMs));
    this.#started = nowMs;
    this.#until = nowMs + seconds * 1000;
  }

  write(chunk: Uint8Array, nowMs: number): void {
    if (this.#stoppedAt !== undefined) return;
    if (nowMs >= this.#until) {
      this.stop(nowMs);
      return;
    }
    this.#stream.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('hex'));
  }

  stop(nowMs: number): void {
    if (this.#stoppedAt !== undefined) return;
    this.#stoppedAt = Math.min(nowMs, this.#until);
    this.#stream.end();
  }

  /** Seconds recorded, as the leave body's `debugRecordTime`. */
  recordedSeconds(nowMs: number): number {
    return Math.round(((this.#stoppedAt ?? Math.min(nowMs, this.#until)) - this.#started) / 10) / 100;
  }
}
