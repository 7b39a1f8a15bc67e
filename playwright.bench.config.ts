import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/**
 * Browser benchmarks: real tabs, printed figures, no pass/fail targets. Name the file to run:
 * `npm run bench:browser` runs only the comparison (compare.bench.ts); the others are run as
 * `npx playwright test --config playwright.bench.config.ts e2e/bench/<name>.bench.ts`.
 */
export default defineConfig({
  ...base,
  testMatch: '**/*.bench.ts',
  timeout: 30 * 60_000,
  reporter: [['list']],
});
