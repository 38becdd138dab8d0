/**
 * Which local port answers for which leased port. A lease names a port of
 * `jt1078.intercom.audio_ports`: the port the 0x9101 body sends the device to. Usually the pod
 * listens on that very port; behind a load balancer that maps ports, or with two intercoms on
 * one machine (tests), it listens on `cluster.intercom.listen_ports` instead, matched position
 * for position: listening port `listen[0] + i` serves leased port `leased[0] + i`.
 */

export class AudioPortRangeMismatch extends Error {
  override readonly name = 'AudioPortRangeMismatch';
  readonly kind = 'audio-port-range-mismatch';
  constructor(
    readonly leased: readonly [number, number],
    readonly listen: readonly [number, number],
  ) {
    super(
      `cluster.intercom.listen_ports [${listen[0]}, ${listen[1]}] has ${listen[1] - listen[0] + 1} ports but ` +
        `jt1078.intercom.audio_ports [${leased[0]}, ${leased[1]}] has ${leased[1] - leased[0] + 1}: they are matched port for port`,
    );
  }
}

export class AudioPortMap {
  readonly leased: readonly [number, number];
  readonly listen: readonly [number, number];

  /** `listen` empty: the pod listens on the leased ports themselves. */
  constructor(leased: readonly [number, number], listen: readonly [] | readonly [number, number] = []) {
    this.leased = leased;
    this.listen = listen.length === 2 ? listen : leased;
    if (this.listen[1] - this.listen[0] !== leased[1] - leased[0]) throw new AudioPortRangeMismatch(leased, this.listen);
  }

  get size(): number {
    return this.leased[1] - this.leased[0] + 1;
  }

  /** The leased port a connection on `listenPort` belongs to; undefined outside the range. */
  leasedPortOf(listenPort: number): number | undefined {
    const i = listenPort - this.listen[0];
    return Number.isInteger(i) && i >= 0 && i < this.size ? this.leased[0] + i : undefined;
  }

  listenPortOf(leasedPort: number): number | undefined {
    const i = leasedPort - this.leased[0];
    return Number.isInteger(i) && i >= 0 && i < this.size ? this.listen[0] + i : undefined;
  }

  isLeasedPort(port: number): boolean {
    return this.listenPortOf(port) !== undefined;
  }

  /** Every pair, in port order. */
  pairs(): Array<{ readonly leased: number; readonly listen: number }> {
    return Array.from({ length: this.size }, (_, i) => ({ leased: this.leased[0] + i, listen: this.listen[0] + i }));
  }
}
