import { test, type Browser } from '@playwright/test';
import type { RunConfigInput } from '@starling/protocol';
import { launchChromium } from './chromium';
import { IndependentEvaluator, type TaskRef } from './evaluate';

/** The task most specs train: MNIST with an MLP 784-64-10 (run config fields and evaluator alike). */
export const MLP64: TaskRef = { task: 'mnist-mlp', taskOptions: { hidden: [64] } };

/** R-FAST on MNIST at the server's default step size (DEFAULT_LR.rfast). */
export const RFAST_MNIST_RUN: RunConfigInput = {
  ...MLP64,
  algorithm: 'rfast',
  topology: { kind: 'exponential' },
  batchSize: 32,
  evalEverySteps: 0,
};

/** What a spec file shares across its tests: one Chromium and one full-test-set evaluator. */
export interface SpecEnvironment {
  browser: Browser;
  evaluator: IndependentEvaluator;
}

/**
 * Registers the hooks that start and stop the shared browser and evaluator for the calling spec
 * file; their fields are set once its beforeAll has run.
 */
export function useSpecEnvironment(launchArgs: string[] = []): SpecEnvironment {
  const env = {} as SpecEnvironment;
  test.beforeAll(async () => {
    env.browser = await launchChromium(launchArgs);
    env.evaluator = await IndependentEvaluator.create(MLP64);
  });
  test.afterAll(async () => {
    await env.browser?.close();
    await env.evaluator?.dispose();
  });
  return env;
}
