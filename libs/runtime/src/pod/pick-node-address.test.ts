import { describe, expect, it } from 'vitest';
import { pickNodeAddress } from './pick-node-address.js';

describe('pickNodeAddress', () => {
  const cases: Array<[string, Array<{ type: string; address: string }> | undefined, ReturnType<typeof pickNodeAddress>]> = [
    ['ExternalIP over InternalIP', [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'ExternalIP', address: '203.0.113.7' }], { address: '203.0.113.7', type: 'ExternalIP' }],
    ['InternalIP when no ExternalIP', [{ type: 'Hostname', address: 'node-a' }, { type: 'InternalIP', address: '10.0.0.5' }], { address: '10.0.0.5', type: 'InternalIP' }],
    ['IPv4 first on a dual-stack node', [{ type: 'ExternalIP', address: '2001:db8::7' }, { type: 'ExternalIP', address: '203.0.113.7' }], { address: '203.0.113.7', type: 'ExternalIP' }],
    ['IPv6 when that is all there is', [{ type: 'ExternalIP', address: '2001:db8::7' }], { address: '2001:db8::7', type: 'ExternalIP' }],
    ['names are not IPs', [{ type: 'ExternalIP', address: 'node-a.example.com' }, { type: 'ExternalDNS', address: 'node-a.example.com' }], undefined],
    ['a node still joining has none', undefined, undefined],
  ];
  for (const [what, addresses, expected] of cases) {
    it(what, () => expect(pickNodeAddress(addresses)).toEqual(expected));
  }
});
