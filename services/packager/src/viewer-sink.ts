/**
 * Where one viewer's bytes go — an HTTP response or a WebSocket — behind one narrow interface,
 * with the bound every viewer has: a viewer whose unsent bytes pass `maxQueueBytes` is too slow
 * for live media and is cut (the caller counts it), so no viewer can grow the packager's memory.
 */
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

export type ViewerEndReason = 'slow' | 'client-closed' | 'stream-ended' | 'shutdown' | 'error';

export interface ViewerSink {
  /** Bytes written but not yet taken by the peer's socket. */
  readonly queuedBytes: number;
  write(chunk: Uint8Array): void;
  /** Ends the viewer's connection (gracefully where the protocol allows). */
  end(reason: ViewerEndReason): void;
  /** Called once when the peer goes away on its own. */
  onClose(listener: () => void): void;
}

export class HttpViewerSink implements ViewerSink {
  constructor(private readonly res: ServerResponse) {}

  get queuedBytes(): number {
    return this.res.writableLength;
  }

  write(chunk: Uint8Array): void {
    if (!this.res.destroyed) this.res.write(chunk);
  }

  end(reason: ViewerEndReason): void {
    // A slow viewer's queue is dropped, not flushed: destroy frees it at once.
    if (reason === 'slow' || reason === 'error') this.res.destroy();
    else this.res.end();
  }

  onClose(listener: () => void): void {
    this.res.once('close', listener);
  }
}

/** WebSocket close codes (RFC 6455 §7.4.1): 1000 normal, 1001 going away, 1008 policy. */
const CLOSE_CODES: Readonly<Record<ViewerEndReason, number>> = { slow: 1008, 'client-closed': 1000, 'stream-ended': 1000, shutdown: 1001, error: 1011 };

export class WebSocketViewerSink implements ViewerSink {
  constructor(private readonly ws: WebSocket) {}

  get queuedBytes(): number {
    return this.ws.bufferedAmount;
  }

  write(chunk: Uint8Array): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(chunk, { binary: true });
  }

  end(reason: ViewerEndReason): void {
    if (reason === 'slow' || reason === 'error') this.ws.terminate();
    else this.ws.close(CLOSE_CODES[reason], reason);
  }

  onClose(listener: () => void): void {
    this.ws.once('close', listener);
  }
}
