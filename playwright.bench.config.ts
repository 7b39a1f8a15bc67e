import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/** Browser benchmarks: real tabs, printed figures, no pass/fail targets. `npm run bench:browser`. */
export default defineConfig({
  ...base,
  testMatch: '**/*.bench.ts',
  timeout: 30 * 60_000,
  reporter: [['list']],
});
