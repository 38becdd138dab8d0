/**
 * Graceful shutdown on SIGTERM/SIGINT: steps run in registration order (stop accepting, drain
 * connections, flush the bus ...), each with its own time limit, and a second signal exits at
 * once. Services register steps; the process entry installs the signal handlers.
 */
import type { Logger } from 'pino';
import type { ShutdownStep } from './service-shutdown.js';

interface Step {
  readonly name: string;
  readonly run: () => Promise<void>;
  readonly timeoutMs: number;
}

export class ShutdownSequence {
  readonly #steps: Step[] = [];
  #running: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  add(name: string, run: () => Promise<void> | void, timeoutMs = 10_000): void {
    this.#steps.push({ name, run: async () => run(), timeoutMs });
  }

  /** Steps in their order (serviceShutdownOrder's). */
  addSteps(steps: readonly ShutdownStep[]): void {
    for (const s of steps) this.add(s.name, s.run, s.timeoutMs);
  }

  /** Runs every step once; later calls return the same promise. Never rejects: a step that fails is logged and the next one runs. */
  run(reason: string): Promise<void> {
    this.#running ??= this.#runSteps(reason);
    return this.#running;
  }

  async #runSteps(reason: string): Promise<void> {
    this.log.info({ reason, steps: this.#steps.map((s) => s.name) }, 'shutting down');
    for (const step of this.#steps) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), step.timeoutMs);
      });
      try {
        const outcome = await Promise.race([step.run().then(() => 'done' as const), timeout]);
        if (outcome === 'timeout') this.log.warn({ step: step.name, timeoutMs: step.timeoutMs }, 'shutdown step timed out');
      } catch (err) {
        this.log.error({ step: step.name, err }, 'shutdown step failed');
      } finally {
        clearTimeout(timer);
      }
    }
    this.log.info('shutdown complete');
  }

  /** SIGTERM/SIGINT start the sequence; a second signal exits immediately. */
  installSignalHandlers(onDone: () => void = () => process.exit(0)): void {
    let signals = 0;
    const handler = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        this.log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      void this.run(signal).then(onDone);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  }
}
