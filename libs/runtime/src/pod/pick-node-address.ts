/**
 * Which of a Kubernetes node's `status.addresses` devices and browsers should be told to reach:
 * the ExternalIP when the node has one, else its InternalIP (reachable only from the cluster's
 * own network; the caller says so). Hostname and DNS entries are skipped: the SDP answer's
 * candidates and the 0x9101 body's server field want an IP. Within one type IPv4 comes first,
 * since devices on mobile networks and the 0x9101 address field are IPv4 in practice.
 */
import { isIP } from 'node:net';

export const NodeAddressType = { external: 'ExternalIP', internal: 'InternalIP' } as const;
export type NodeAddressType = (typeof NodeAddressType)[keyof typeof NodeAddressType];

export interface NodeAddress {
  readonly address: string;
  readonly type: NodeAddressType;
}

/** `addresses` as the API returns them in `V1Node.status.addresses` (absent on a node still joining). */
export function pickNodeAddress(addresses: ReadonlyArray<{ readonly type: string; readonly address: string }> | undefined): NodeAddress | undefined {
  for (const type of [NodeAddressType.external, NodeAddressType.internal]) {
    const ips = (addresses ?? []).filter((a) => a.type === type && isIP(a.address) !== 0).map((a) => a.address);
    const chosen = ips.find((ip) => isIP(ip) === 4) ?? ips[0];
    if (chosen !== undefined) return { address: chosen, type };
  }
  return undefined;
}
