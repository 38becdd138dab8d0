/**
 * Claiming a stream name: a name held on another pod that is alive may belong to a pod that was
 * killed a moment ago (its liveness key lives up to POD_LIVENESS_TTL_MS more), and a device
 * reconnecting after such a crash must get its own name back, not `-<unix ms>`. So the claim
 * asks again for a little longer than that TTL before accepting a suffixed name; a name held on
 * this pod (a second connection of a device) is suffixed at once, as m7s-jt1078 does.
 */
import { POD_LIVENESS_TTL_MS } from '@jt1078/store';
import type { StreamNameClaims, StreamOwner } from './ingest-ports.js';

/** How long a claim waits for the holder's liveness to lapse. */
export const CLAIM_WAIT_MS = POD_LIVENESS_TTL_MS + 500;
const CLAIM_RETRY_MS = 200;

export async function claimStreamName(
  claims: StreamNameClaims,
  baseName: string,
  owner: StreamOwner,
  ttlMs: number,
  now: () => number = Date.now,
): Promise<{ name: string; takenOver?: StreamOwner & { readonly name: string } }> {
  const until = now() + CLAIM_WAIT_MS;
  for (;;) {
    const wait = now() < until;
    const c = await claims.claimName(baseName, owner, ttlMs, { wait });
    if (c.name !== undefined) return { name: c.name, ...(c.takenOver ? { takenOver: c.takenOver } : {}) };
    await new Promise((r) => setTimeout(r, CLAIM_RETRY_MS));
  }
}
