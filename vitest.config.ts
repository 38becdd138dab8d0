import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['libs/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'bench/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores here, but several long tests mostly wait (a 60 s NATS outage, a receiver down
    // 60 s, npm install): a third worker runs another file meanwhile.
    maxWorkers: 3,
  },
});
