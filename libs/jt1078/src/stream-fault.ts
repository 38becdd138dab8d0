/** Faults the demuxer and assembler report as values: a bad device never throws into the caller. */

export const FaultKind = {
  /** Bytes between packets that are not a packet: skipped up to the next `01cd`. */
  garbage: 'garbage',
  /** A magic with an impossible header (version bits, data type, subpackage flag). */
  badHeader: 'bad-header',
  /** A body length above MAX_BODY_BYTES. */
  badLength: 'bad-length',
  /** A payload type table 12 does not list. */
  unknownPayloadType: 'unknown-payload-type',
  /** The stream ended inside a packet. */
  truncated: 'truncated',
  /** Neither revision's reading lands on the next packet. */
  revisionUnknown: 'revision-unknown',
  /** A packet number was skipped while a frame was open: that frame is dropped. */
  sequenceGap: 'sequence-gap',
  /** A middle or last subpackage with no first before it. */
  missingFirst: 'missing-first',
  /** A first subpackage (or an atomic one) while another frame of that type was open. */
  incompleteFrame: 'incomplete-frame',
  /** A frame with no bytes at all: nothing to decode, so it is not passed on. */
  emptyFrame: 'empty-frame',
  /** A frame above MAX_FRAME_BYTES. */
  frameTooLarge: 'frame-too-large',
  /**
   * A SIM whose BCD nibbles are not decimal digits once F padding is taken off (A-F inside the
   * number): the packet is skipped, since a SIM names NATS subjects and stream paths.
   */
  badSim: 'bad-sim',
  /** An open frame dropped because its connection or the pod held too many unfinished-frame bytes. */
  memoryCap: 'memory-cap',
  /** A packet of one SIM/channel more than a connection may carry (the ingest's limit): skipped. */
  tooManyStreams: 'too-many-streams',
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

export interface StreamFault {
  readonly kind: FaultKind;
  /** Byte offset in the connection's stream where the fault was found. */
  readonly offset: number;
  readonly detail: string;
  readonly sim?: string;
  readonly channel?: number;
}

export type FaultCounts = Record<FaultKind, number>;

export function emptyFaultCounts(): FaultCounts {
  return Object.fromEntries(Object.values(FaultKind).map((k) => [k, 0])) as FaultCounts;
}
