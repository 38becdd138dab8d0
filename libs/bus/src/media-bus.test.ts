/** The MediaBus contract against both adapters: in-process, and NATS (core media with replay, JetStream events) on a real server (unique subject root per bus). */
import { natsUrl, uniquePrefix } from '../../../test/support/services.js';
import { mediaBusContract } from './media-bus.contract.js';
import { MemoryMediaBus } from './memory-media-bus.js';
import { NatsMediaBus } from './nats-media-bus.js';

mediaBusContract({
  name: 'MemoryMediaBus',
  make: async () => new MemoryMediaBus({ ackWaitMs: 300 }),
  ackWaitMs: 300,
  windowSettleMs: 0,
});

mediaBusContract({
  name: 'NatsMediaBus',
  make: async () => NatsMediaBus.connect({ url: await natsUrl(), root: uniquePrefix('bus'), eventAckWaitMs: 600 }),
  dispose: async (bus) => {
    const nats = bus as NatsMediaBus;
    if (!nats.nc.isClosed()) return nats.deleteStreams();
    // A test closed this bus itself: remove its streams over a new connection.
    const again = await NatsMediaBus.connect({ url: await natsUrl(), root: nats.subjects.root });
    await again.deleteStreams();
    await again.close();
  },
  ackWaitMs: 600,
  windowSettleMs: 0,
});
