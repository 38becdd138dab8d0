export * from './advertise-address.js';
export * from './werift-peer-guards.js';
