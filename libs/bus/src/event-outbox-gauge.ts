/** The outbox as /metrics shows it: one gauge by state, read at scrape time (counts since start but `pending`). */
import { Gauge, type Registry } from '@jt1078/runtime/metrics';
import type { EventOutbox } from './event-outbox.js';

export function registerEventOutboxGauge(outbox: EventOutbox, registry: Registry, name: string, what: string): void {
  new Gauge({
    name, help: `${what} in the outbox, by state: pending (waiting for JetStream), stored, retries, lost-full, lost-shutdown (counts since start)`, labelNames: ['state'], registers: [registry],
    collect() {
      const st = outbox.stats;
      this.set({ state: 'pending' }, st.pending);
      this.set({ state: 'stored' }, st.stored);
      this.set({ state: 'retries' }, st.retries);
      this.set({ state: 'lost-full' }, st.lost['outbox-full']);
      this.set({ state: 'lost-shutdown' }, st.lost.shutdown);
    },
  });
}
