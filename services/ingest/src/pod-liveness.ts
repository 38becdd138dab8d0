/**
 * This ingest pod's liveness key in the registry, renewed four times per POD_LIVENESS_TTL_MS: a
 * device that reconnects to another pod after this one was killed finds the key gone within that
 * TTL, and takes its stream name over at once (StreamRegistry.claimName) instead of getting a
 * `-<unix ms>` name and a new playlist.
 */
import type { Logger } from '@jt1078/runtime/logger';
import { POD_LIVENESS_TTL_MS } from '@jt1078/store';

export interface PodLivenessStore {
  markPodAlive(pod: string, ttlMs: number): Promise<void>;
}

export class PodLiveness {
  #timer: NodeJS.Timeout | undefined;
  #failing = false;

  constructor(
    private readonly store: PodLivenessStore,
    private readonly pod: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.#beat();
    this.#timer = setInterval(() => void this.#beat(), POD_LIVENESS_TTL_MS / 4);
    this.#timer.unref();
  }

  async #beat(): Promise<void> {
    try {
      await this.store.markPodAlive(this.pod, POD_LIVENESS_TTL_MS);
      if (this.#failing) this.log.info('pod liveness renewed again');
      this.#failing = false;
    } catch (err) {
      // Logged once per outage: a pod that cannot renew may see its names taken over by reconnects.
      if (!this.#failing) this.log.warn({ err }, 'pod liveness not renewed (registry unreachable): reconnecting devices may take this pod\'s stream names over');
      this.#failing = true;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
