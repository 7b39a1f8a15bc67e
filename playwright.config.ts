import { defineConfig } from '@playwright/test';

/**
 * Multi-tab end-to-end tests on Debian's Chromium (Playwright cannot download browsers here).
 * Each test starts its own server (e2e/support/server.ts) so runs never share state, and opens
 * one browser context per peer. One worker: every test already loads both cores with tabs.
 */
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 6 * 60_000,
  expect: { timeout: 30_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  use: { trace: 'retain-on-failure' },
});
