/**
 * How a process runs its services: in a cluster (NATS and Redis; another pod takes over what
 * this one lets go) or alone (`jt1078 start` on the in-process bus and stores: nobody else will).
 */
export type ProcessMode = 'cluster' | 'single-process';
