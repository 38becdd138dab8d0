/**
 * The HTTP endpoint a cluster's webhook posts joins and leaves to, and the ledger the tests
 * check them against: deliveries keyed by `webhook-id` (`<connection>.join` / `.leave`; a
 * redelivery repeats the id), and what is wrong with them once every device has stopped — a join
 * without its leave, a leave without its join, a leave delivered first or about another
 * connection, a device with more joins than leaves.
 */
import { createServer, type Server } from 'node:http';

export interface Delivery {
  readonly id: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly at: number;
}

export class CallbackReceiver {
  readonly deliveries: Delivery[] = [];
  readonly #server: Server;

  constructor() {
    this.#server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c));
      req.on('end', () => {
        try {
          this.deliveries.push({ id: String(req.headers['webhook-id']), path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown>, at: Date.now() });
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
  }

  /** Listens on `port` on every interface (containers reach it through their gateway). */
  listen(port: number, host = '0.0.0.0'): Promise<void> {
    return new Promise((resolve) => this.#server.listen(port, host, resolve));
  }

  close(): void {
    this.#server.close();
  }

  /** Distinct join (or leave) events received so far. */
  count(path: '/join' | '/leave'): number {
    return new Set(this.deliveries.filter((d) => d.path === path).map((d) => d.id)).size;
  }

  /** Connections that have a join. */
  connections(): string[] {
    return [...new Set(this.deliveries.map((d) => d.id))].filter((id) => id.endsWith('.join')).map((id) => id.slice(0, -'.join'.length));
  }

  /** True once every join has its leave. */
  settled(): boolean {
    const ids = new Set(this.deliveries.map((d) => d.id));
    return this.connections().every((c) => ids.has(`${c}.leave`));
  }

  /** What is wrong with the events of `sims` (empty when nothing), and the counts. */
  audit(sims: readonly string[]): { problems: string[]; joins: number; leaves: number; redeliveries: number } {
    const first = new Map<string, Delivery>();
    for (const d of this.deliveries) if (!first.has(d.id)) first.set(d.id, d);
    const problems: string[] = [];
    const connections = this.connections();
    const leaveless = connections.filter((c) => !first.has(`${c}.leave`));
    if (leaveless.length) problems.push(`${leaveless.length} of ${connections.length} joins without a leave: ${leaveless.join(', ')}`);
    const joinless = [...first.keys()].filter((id) => id.endsWith('.leave') && !first.has(id.replace(/\.leave$/, '.join')));
    if (joinless.length) problems.push(`leaves without a join: ${joinless.join(', ')}`);
    for (const c of connections.filter((c) => first.has(`${c}.leave`))) {
      const join = first.get(`${c}.join`)!;
      const leave = first.get(`${c}.leave`)!;
      if (this.deliveries.indexOf(leave) < this.deliveries.indexOf(join)) problems.push(`${c}: leave delivered before its join`);
      const differs = Object.keys(join.body).filter((k) => JSON.stringify(join.body[k]) !== JSON.stringify(leave.body[k]));
      if (differs.length || typeof leave.body['endTime'] !== 'string') problems.push(`${c}: leave differs from its join in ${differs.join(', ') || 'endTime'}`);
    }
    for (const sim of sims) {
      const joins = [...first.values()].filter((d) => d.path === '/join' && d.body['sim'] === sim).length;
      const leaves = [...first.values()].filter((d) => d.path === '/leave' && d.body['sim'] === sim).length;
      if (joins !== leaves) problems.push(`${sim} has ${joins} joins and ${leaves} leaves`);
    }
    return { problems, joins: connections.length, leaves: [...first.keys()].filter((id) => id.endsWith('.leave')).length, redeliveries: this.deliveries.length - first.size };
  }
}
