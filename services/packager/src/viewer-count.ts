/**
 * Viewers of each stream on this packager, for /api/v1/streams: distinct clients that asked for
 * the stream's playlist within the last VIEWER_WINDOW_MS. A client is the `viewer` query value a
 * player adds (the console does), else its address (players behind one CDN edge count once).
 * Bounded: at most MAX_VIEWERS_PER_STREAM clients are remembered per stream.
 */

/** hls.js reloads a live playlist at least every target duration (2 s); three missed reloads: gone. */
export const VIEWER_WINDOW_MS = 6000;
const MAX_VIEWERS_PER_STREAM = 1000;

export class ViewerCount {
  readonly #seen = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  saw(streamPath: string, client: string): void {
    let clients = this.#seen.get(streamPath);
    if (!clients) this.#seen.set(streamPath, (clients = new Map()));
    clients.delete(client);
    clients.set(client, this.now());
    // Insertion order is recency order: the oldest goes first.
    if (clients.size > MAX_VIEWERS_PER_STREAM) clients.delete(clients.keys().next().value!);
  }

  of(streamPath: string): number {
    const clients = this.#seen.get(streamPath);
    if (!clients) return 0;
    const since = this.now() - VIEWER_WINDOW_MS;
    for (const [client, at] of clients) {
      if (at >= since) break;
      clients.delete(client);
    }
    if (clients.size === 0) this.#seen.delete(streamPath);
    return clients.size;
  }
}
