/**
 * What every werift peer connection of this project needs around it (DESIGN.md "Real
 * components": werift 0.24.4 as found here): an 'error' listener on its UDP sockets, and a
 * bounded wait for candidate gathering.
 */
import type { RTCPeerConnection } from 'werift';

/** How a werift peer is set up and how long its steps may take (intercom talks, WHEP viewers). */
export interface WeriftPeerSettings {
  /** UDP ports werift binds its candidates in (`[min, max]`, min < max: werift needs a range). */
  readonly udpPorts: readonly [number, number];
  /** Written into the answer's candidates (a public or load-balancer IP); '' = as werift found them. */
  readonly advertisedIp: string;
  /** Host addresses werift adds to the interfaces' own (loopback, for peers on the same machine). */
  readonly extraHostAddresses: readonly string[];
  /** No connection within this long ends the session. */
  readonly connectTimeoutMs: number;
  /** ICE `disconnected` this long (consent lost) ends the session. */
  readonly disconnectGraceMs: number;
  /** Candidate gathering waits at most this long. */
  readonly gatherTimeoutMs: number;
}

/**
 * werift's UDP sockets have no 'error' listener: an ICMP-reported send failure (a browser's
 * unroutable IPv6 candidate, a firewall's EPERM) would be an uncaught exception and end the
 * process. They are reached through werift's internals, checked at each step; if a later
 * werift changes the shape, the guard does nothing rather than fail.
 */
export function guardWeriftSockets(pc: RTCPeerConnection, onError: (err: Error) => void): void {
  for (const transport of pc.iceTransports) {
    const protocols = (transport.connection as unknown as { protocols?: unknown }).protocols;
    if (!Array.isArray(protocols)) continue;
    for (const protocol of protocols as Array<{ transport?: { socket?: { on?: unknown; listenerCount?: (e: string) => number } } }>) {
      const socket = protocol.transport?.socket;
      if (socket && typeof socket.on === 'function' && socket.listenerCount?.('error') === 0) {
        (socket as unknown as NodeJS.EventEmitter).on('error', onError);
      }
    }
  }
}

/** Resolves when `pc` has gathered its candidates, or after `timeoutMs`. */
export async function gatheringDone(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  let timer: NodeJS.Timeout | undefined;
  let sub: { unSubscribe: () => void } | undefined;
  await Promise.race([
    new Promise<void>((resolve) => {
      sub = pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve());
      if (pc.iceGatheringState === 'complete') resolve();
    }),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
  sub?.unSubscribe();
}

/**
 * Runs candidate gathering one peer at a time: werift probes, then binds, a free port, so two
 * peers gathering at once can pick the same one.
 */
export class SerialWork {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(work, work);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
