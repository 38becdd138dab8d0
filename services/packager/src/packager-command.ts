/** `jt1078 packager [--config FILE]`: the LL-HLS origin as a pod runs it, on NATS and Redis. */
import { connectPodBus } from '@jt1078/bus';
import { HttpRouter, addOpsRoutes, serveRouter } from '@jt1078/runtime/http';
import { startPod } from '@jt1078/runtime/pod';
import { RedisStreamRegistry } from '@jt1078/store';
import { PackagerMembers } from './packager-members.js';
import { advertisedUrl } from './advertised-url.js';
import { startPackager } from './start-packager.js';

export async function packagerCommand(argv: string[]): Promise<number> {
  const pod = await startPod('packager', argv, { nats: true, redis: true });
  if (typeof pod === 'number') return pod;
  const { config, log, health, metrics, shutdown } = pod;
  const bus = await connectPodBus(pod);
  const registry = new RedisStreamRegistry(config.cluster.redis.url, config.cluster.nats.subject_root);
  const router = addOpsRoutes(new HttpRouter(), health, metrics);
  const members = new PackagerMembers({
    redisUrl: config.cluster.redis.url, root: config.cluster.nats.subject_root, ttlMs: config.cluster.packager.member_ttl_second * 1000, log,
    self: { name: pod.name, url: advertisedUrl(config.cluster.http.addr) },
  });
  const packager = startPackager({ config, bus, registry, router, metricsRegistry: metrics, log, pod: pod.name, members });
  const http = await serveRouter(router, config.cluster.http.addr);
  // Members only once this replica answers: the others start proxying to it at once.
  await members.start();
  log.info({ pod: pod.name, url: members.self.url, members: members.members().length }, 'packager ready');
  shutdown.add('readiness off', () => health.startDraining());
  // Streaming viewers hold their responses open: end them, or closing HTTP waits for them.
  shutdown.add('end streaming viewers', () => {
    packager.whep.close();
    packager.flv.close();
  });
  shutdown.add('close HTTP', () => new Promise<void>((r) => http.close(() => r())));
  shutdown.add('leave the packager members', () => members.stop());
  shutdown.add('release streams', () => packager.close());
  shutdown.add('drain NATS', () => bus.close());
  shutdown.add('close registry', () => registry.close());
  shutdown.installSignalHandlers();
  await new Promise(() => {});
  return 0;
}
