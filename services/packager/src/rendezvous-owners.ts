/**
 * Which packager replicas package a stream: the `k` live members with the highest rendezvous
 * (highest random weight) score for the stream path. Every replica computes the same answer from
 * the same member list, without coordination; when a member joins or leaves, only the streams it
 * wins or held move (about k/n of them), the others keep their owners.
 */
import { createHash } from 'node:crypto';

export interface PackagerMember {
  /** The pod name (unique among members). */
  readonly name: string;
  /** Where other replicas reach its HTTP origin (`http://<pod ip>:<port>`). */
  readonly url: string;
}

/** A 64-bit score of (member, stream): the first 8 bytes of SHA-256, so no member is favoured. */
function score(member: string, streamPath: string): bigint {
  return createHash('sha256').update(member).update('\n').update(streamPath).digest().readBigUInt64BE(0);
}

/** The stream's owners, best first (at most k; all members when there are k or fewer). */
export function rendezvousOwners<M extends PackagerMember>(streamPath: string, members: readonly M[], k: number): M[] {
  return members
    .map((m) => ({ m, s: score(m.name, streamPath) }))
    .sort((a, b) => (a.s === b.s ? (a.m.name < b.m.name ? -1 : 1) : a.s > b.s ? -1 : 1))
    .slice(0, Math.max(1, k))
    .map((x) => x.m);
}
