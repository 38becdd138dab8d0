/**
 * A frame queued while the link was down is refused by the server reached on reconnect (one with
 * a smaller max_payload): nats.js throws from the publish. The bus's status loop survives it, the
 * frame is counted as refused, frames flow again, and no rejection is left unhandled (vitest
 * fails the run on one; on Node 20 it would end the pod).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TcpRoundRobin } from '../../../test/support/tcp-round-robin.js';
import { natsUrl, startNatsServer, uniquePrefix, until } from '../../../test/support/services.js';
import { DropReason } from './bus-stats.js';
import { testFrame } from './media-bus.contract.js';
import { NatsMediaBus } from './nats-media-bus.js';

const SMALL_MAX_PAYLOAD = 64 * 1024;
const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

describe('a queued frame refused on reconnect', () => {
  it('is counted, and the bus carries on', async () => {
    const url = new URL(await natsUrl());
    // A server that refuses messages over SMALL_MAX_PAYLOAD.
    const small = await startNatsServer({ config: `max_payload: ${SMALL_MAX_PAYLOAD}\n` });
    closers.push(() => small.stop());
    // The first connection goes to the real server (JetStream for connect), the reconnect to the small one.
    const proxy = new TcpRoundRobin([{ host: url.hostname, port: Number(url.port) }, { host: '127.0.0.1', port: small.port }]);
    const proxyPort = await proxy.listen();
    closers.push(() => proxy.close());
    const root = uniquePrefix('refused');
    const bus = await NatsMediaBus.connect({ url: `nats://127.0.0.1:${proxyPort}`, root });
    closers.push(async () => {
      await bus.close();
      const cleanup = await NatsMediaBus.connect({ url: url.toString(), root });
      await cleanup.deleteStreams();
      await cleanup.close();
    });
    const statuses: string[] = [];
    bus.onStatus((s) => statuses.push(s));

    proxy.dropConnections();
    await until(() => statuses.includes('disconnected'), 10_000, 'disconnected');
    bus.publishFrame(testFrame(0, { data: new Uint8Array(200 * 1024) }));
    await until(() => statuses.includes('reconnected'), 20_000, 'reconnected');
    await new Promise((r) => setTimeout(r, 100));
    expect(bus.stats.dropped[DropReason.closed]).toBe(1);
    // The link is up again: a small frame goes out, not into the reconnect queue.
    bus.publishFrame(testFrame(1, { data: new Uint8Array(1024) }));
    expect(bus.pressure()).toBe(0);
  }, 60_000);
});
