/**
 * The FLV viewers of the viewers benchmark: plain HTTP readers of `/flv/<stream>.flv` in the
 * bench process, each counting the audio and video tags it reads (FLV spec v10.1 §E.4: a
 * 13-byte header and first PreviousTagSize, then 11-byte tag headers whose DataSize says how
 * far the next one is).
 */
import { get, type ClientRequest } from 'node:http';

const FLV_HEADER_BYTES = 13;
const TAG_HEADER_BYTES = 11;
const PREVIOUS_TAG_SIZE_BYTES = 4;

/** Counts FLV tags in a byte stream cut anywhere. */
class FlvTagCounter {
  tags = 0;
  /** Bytes to skip before the next tag header. */
  #skip = FLV_HEADER_BYTES;
  readonly #header = Buffer.alloc(TAG_HEADER_BYTES);
  #have = 0;

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      const n = Math.min(TAG_HEADER_BYTES - this.#have, chunk.length - i);
      chunk.copy(this.#header, this.#have, i, i + n);
      this.#have += n;
      i += n;
      if (this.#have < TAG_HEADER_BYTES) return;
      this.#have = 0;
      const type = this.#header[0]! & 0x1f;
      if (type === 8 || type === 9) this.tags++;
      this.#skip = this.#header.readUIntBE(1, 3) + PREVIOUS_TAG_SIZE_BYTES;
    }
  }
}

export class FlvReaders {
  readonly #readers: Array<{ req: ClientRequest; counter: FlvTagCounter }> = [];
  errors = 0;

  constructor(private readonly url: string) {}

  get count(): number {
    return this.#readers.length;
  }

  /** Tags (audio and video frames) read by every reader so far. */
  get tags(): number {
    let n = 0;
    for (const r of this.#readers) n += r.counter.tags;
    return n;
  }

  /** Opens readers until there are `n`, and waits until each has read its first tag. */
  async openUntil(n: number, timeoutMs = 20_000): Promise<void> {
    const opened: FlvTagCounter[] = [];
    while (this.#readers.length < n) {
      const counter = new FlvTagCounter();
      const req = get(this.url, (res) => {
        if (res.statusCode !== 200) this.errors++;
        res.on('data', (chunk: Buffer) => counter.push(chunk));
        res.on('error', () => this.errors++);
      });
      req.on('error', () => this.errors++);
      this.#readers.push({ req, counter });
      opened.push(counter);
    }
    const deadline = Date.now() + timeoutMs;
    while (opened.some((c) => c.tags === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }

  close(): void {
    for (const r of this.#readers) r.req.destroy();
    this.#readers.length = 0;
  }
}
