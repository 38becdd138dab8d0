/**
 * The address the browser is told to reach, written into werift's answer: with
 * `jt1078webrtc.ip` set (a public or load-balancer IP in front of the pod), every host candidate
 * of that IP's family is rewritten to it, the others dropped, and `c=` lines follow — what
 * m7s-jt1078 gets from pion's SetNAT1To1IPs. werift binds each candidate's socket to the
 * wildcard address, so traffic to `ip:<port>` forwarded 1:1 to the pod reaches that socket
 * whichever interface it arrives on. Two candidates that end up the same are kept once. The
 * m-line's port and the `c=` line become the first candidate's (the default destination, RFC
 * 8839 §4.2.1.1) for clients that ignore candidates. Without an IP the answer is left as werift
 * wrote it.
 */
import { isIP } from 'node:net';

export class AdvertisedAddressInvalid extends Error {
  override readonly name = 'AdvertisedAddressInvalid';
  readonly kind = 'advertised-address-invalid';
  constructor(readonly ip: string) {
    super(`the advertised WebRTC address '${ip}' (jt1078.intercom.jt1078webrtc.ip) is not an IPv4 or IPv6 address`);
  }
}

export function advertiseAddress(sdp: string, ip: string): string {
  if (ip === '') return sdp;
  const family = isIP(ip);
  if (family === 0) throw new AdvertisedAddressInvalid(ip);
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const seen = new Set<string>();
  const out: string[] = [];
  let mLine: number | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      mLine = out.length;
      seen.clear();
      out.push(line);
    } else if (line.startsWith('a=candidate:')) {
      // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> …  (RFC 8839 §5.1)
      const parts = line.split(' ');
      const address = parts[4] ?? '';
      if (parts[7] !== 'host' || isIP(address) !== family) continue;
      parts[4] = ip;
      const key = `${parts[1]} ${parts[2]} ${parts[5]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(parts.join(' '));
      if (mLine !== undefined && parts[1] === '1') {
        const m = out[mLine]!.split(' ');
        m[1] = parts[5]!;
        out[mLine] = m.join(' ');
        mLine = undefined;
      }
    } else if (line.startsWith('c=IN ')) {
      out.push(`c=IN ${family === 4 ? 'IP4' : 'IP6'} ${ip}`);
    } else {
      out.push(line);
    }
  }
  return out.join(eol);
}
