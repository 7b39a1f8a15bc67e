import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/src/**/*.test.tsx'],
    // Convergence tests run thousands of simulated steps; 2-core CI needs headroom.
    testTimeout: 60_000,
    pool: 'threads',
  },
});
