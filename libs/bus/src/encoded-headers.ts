/**
 * A header block encoded once (frame-messages.ts) handed to nats.js as its MsgHdrs. nats.js v3
 * publishes headers by asking them for their bytes — `options.headers.encode()` in
 * ProtocolHandler.publish (@nats-io/nats-core, protocol.ts) — and reads nothing else, so a frame
 * costs one string and one UTF-8 encode instead of a MsgHdrsImpl built key by key (each `set`
 * re-validates the key and rescans every key set before it). Reading methods parse the block on
 * first use, with nats.js' own decoder; the headers are read-only, since changing them would
 * leave the bytes stale.
 * nats-media-bus.test.ts checks on a real server that plain subscribers read every header.
 */
import { MsgHdrsImpl, type Match, type MsgHdrs } from '@nats-io/transport-node';

export class ReadOnlyHeaders extends Error {
  override readonly name = 'ReadOnlyHeaders';
  readonly kind = 'read-only-headers';
  constructor(operation: string) {
    super(`${operation}: these NATS headers were encoded once and are read-only`);
  }
}

export class EncodedHeaders implements MsgHdrs {
  #parsed: MsgHdrs | undefined;

  constructor(readonly bytes: Uint8Array) {}

  /** What nats.js writes after `HPUB <subject> <header length> <total length>`. */
  encode(): Uint8Array {
    return this.bytes;
  }

  #read(): MsgHdrs {
    this.#parsed ??= MsgHdrsImpl.decode(this.bytes);
    return this.#parsed;
  }

  get hasError(): boolean {
    return this.#read().hasError;
  }

  get status(): string {
    return this.#read().status;
  }

  get code(): number {
    return this.#read().code;
  }

  get description(): string {
    return this.#read().description;
  }

  get(k: string, match?: Match): string {
    return this.#read().get(k, match);
  }

  has(k: string, match?: Match): boolean {
    return this.#read().has(k, match);
  }

  keys(): string[] {
    return this.#read().keys();
  }

  values(k: string, match?: Match): string[] {
    return this.#read().values(k, match);
  }

  last(k: string, match?: Match): string {
    return this.#read().last(k, match);
  }

  [Symbol.iterator](): Iterator<[string, string[]]> {
    return this.#read()[Symbol.iterator]();
  }

  set(): void {
    throw new ReadOnlyHeaders('set');
  }

  append(): void {
    throw new ReadOnlyHeaders('append');
  }

  delete(): void {
    throw new ReadOnlyHeaders('delete');
  }
}
