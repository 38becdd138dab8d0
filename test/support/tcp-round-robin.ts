/**
 * A small TCP round-robin in front of several backends, as a Kubernetes Service or cloud load
 * balancer is in front of ingest pods: each new connection goes to the next backend that
 * accepts it; when a backend goes away, its connections close and the clients connect again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpRoundRobin {
  readonly #server: Server;
  #next = 0;
  readonly #sockets = new Set<Socket>();

  constructor(private readonly backends: Array<{ host: string; port: number }>) {
    this.#server = createServer((client) => this.#route(client, 0));
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return (this.#server.address() as { port: number }).port;
  }

  #route(client: Socket, tries: number): void {
    if (tries >= this.backends.length) {
      client.destroy();
      return;
    }
    const b = this.backends[this.#next++ % this.backends.length]!;
    const upstream = connect(b);
    let connected = false;
    client.pause();
    upstream.once('connect', () => {
      connected = true;
      this.#sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.once('close', close);
      upstream.once('close', close);
      client.on('error', close);
      upstream.on('error', close);
    });
    upstream.once('error', () => {
      // Refused: that backend is gone, try the next one.
      if (!connected) this.#route(client, tries + 1);
    });
  }

  /** Cuts every connection (a network drop), still accepting new ones. */
  dropConnections(): void {
    for (const s of this.#sockets) s.destroy();
  }

  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.#server.close();
  }
}
