/**
 * Liveness and readiness of one process. Readiness is false while starting, while a dependency
 * it needs is down (NATS, Redis), and from the moment draining begins, so Kubernetes stops
 * sending it new work before it goes away.
 */
export class HealthState {
  #draining = false;
  readonly #notReady = new Map<string, string>();

  /** Marks a named condition as blocking readiness (e.g. 'nats' → 'disconnected'). */
  block(name: string, reason: string): void {
    this.#notReady.set(name, reason);
  }

  unblock(name: string): void {
    this.#notReady.delete(name);
  }

  startDraining(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get ready(): boolean {
    return !this.#draining && this.#notReady.size === 0;
  }

  /** Why the process is not ready, for the /readyz body. */
  reasons(): string[] {
    const out = [...this.#notReady].map(([name, reason]) => `${name}: ${reason}`);
    if (this.#draining) out.unshift('draining');
    return out;
  }
}
