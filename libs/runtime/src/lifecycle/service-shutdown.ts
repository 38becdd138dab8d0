/**
 * What a started service hands back for shutdown, and the one order in which a process (a pod,
 * or `jt1078 start` with every service) runs those steps around its own HTTP server, bus and
 * stores. A pod command and `jt1078 start` both compose with serviceShutdownOrder, so the order
 * is written once.
 */
import type { Server } from 'node:http';

export interface ShutdownStep {
  readonly name: string;
  readonly run: () => Promise<void> | void;
  /** Default: ShutdownSequence's 10 s. */
  readonly timeoutMs?: number;
}

/** A started service: its steps, in the order it needs them. */
export interface RunningService {
  /** While HTTP still answers: stop taking work, drain connections, end streaming viewers. */
  readonly steps: readonly ShutdownStep[];
  /** Once HTTP is closed, before the bus and the stores: give up what other pods see (membership, streams). */
  readonly release?: readonly ShutdownStep[];
  /** Called once the process's HTTP server answers (a replica announces itself only then). */
  serving?(): Promise<void>;
}

export interface ProcessShutdownParts {
  readonly health: { startDraining(): void };
  readonly services: readonly RunningService[];
  readonly http: Server;
  /**
   * Cut connections still open when HTTP closes (a browser's held event stream or playlist
   * reload) instead of waiting for them; a pod leaves them to their own timeouts.
   */
  readonly cutHttpConnections?: boolean;
  /** The bus, then the stores: closed last, after every service that uses them. */
  readonly connections: readonly ShutdownStep[];
}

/** Readiness off, each service's steps, HTTP, each service's release, then the bus and the stores. */
export function serviceShutdownOrder(parts: ProcessShutdownParts): ShutdownStep[] {
  const { http } = parts;
  return [
    { name: 'readiness off', run: () => parts.health.startDraining() },
    ...parts.services.flatMap((s) => s.steps),
    {
      name: 'close HTTP',
      run: () => {
        if (parts.cutHttpConnections) http.closeAllConnections();
        return new Promise<void>((resolve) => http.close(() => resolve()));
      },
    },
    ...parts.services.flatMap((s) => s.release ?? []),
    ...parts.connections,
  ];
}
