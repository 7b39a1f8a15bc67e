import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTurn, type TurnService } from '../scripts/services';
import { RFAST_MNIST_RUN, useSpecEnvironment } from './support/environment';
import { startServer, type TestServer } from './support/server';
import { tempDir } from './support/temp-dir';
import { closeAll, joinVolunteer, modelOf, status, waitFor, type Volunteer } from './support/swarm';

/**
 * Two volunteers that can only reach each other through a TURN relay: a real coturn `turnserver`
 * (installed and started by the test, TURN REST API secret), the server handing out time-limited
 * credentials, and relay-only ICE in the run config. What must hold: every link's selected pair is
 * of type relay, coturn logged allocations under the server-issued usernames, frames flow both
 * ways and the tabs learn.
 */

const STEPS = 100;
const MIN_ACCURACY = 0.8;
const env = useSpecEnvironment();
let turn: TurnService | null = null;
let server: TestServer | null = null;
let tabs: Volunteer[] = [];

test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus) {
    if (server) console.error(`server log:\n${server.log().slice(-3000)}`);
    if (turn) console.error(`turnserver log:\n${turn.log().slice(-3000)}`);
  }
  await closeAll(tabs);
  tabs = [];
  await server?.stop();
  server = null;
  await turn?.stop();
  turn = null;
});

test('two tabs train through a real coturn relay with relay-only ICE', async () => {
  turn = await startTurn();
  const secretFile = join(tempDir('starling-turn-'), 'turn.secret');
  writeFileSync(secretFile, turn.secret, { mode: 0o600 });
  server = await startServer(
    { ...RFAST_MNIST_RUN, runId: 'e2e-turn', snapshotIntervalMs: 0, iceTransportPolicy: 'relay' },
    { args: ['--turn', turn.url, '--turn-secret-file', secretFile] },
  );
  for (let i = 0; i < 2; i++) tabs.push(await joinVolunteer(env.browser, server.url, `tab${i}`, '?backends=wasm'));

  const ss = await waitFor(`both tabs past ${STEPS} steps over a relayed link`, 120_000, async () => {
    const s = await Promise.all(tabs.map(status));
    if (s.some((x) => x.phase === 'error')) throw new Error(s.map((x) => x.error?.message).join('; '));
    const ready = s.every((x) => x.steps >= STEPS && x.framesReceived > 0 && x.links.length > 0);
    return ready ? s : null;
  });
  // Learning is waited for, not sampled at a step count: the two tabs share two cores with coturn,
  // the server and Chromium, so one of them may be at its 100th step while the other is at its 600th
  // (measured over nine CI runs: the slower tab at 61-161 steps, 0.79-0.92 accuracy at that moment).
  let acc: number[] = [];
  await waitFor(`both tabs above ${MIN_ACCURACY} test accuracy`, 120_000, async () => {
    acc = await Promise.all(tabs.map(async (v) => env.evaluator.accuracy(await modelOf(v))));
    return acc.every((a) => a > MIN_ACCURACY) ? acc : null;
  }, 2000).catch((e: unknown) => {
    throw new Error(`${String(e)} (last: ${acc.map((a) => a.toFixed(3)).join(', ')})`);
  });
  const end = await Promise.all(tabs.map(status));
  console.log(
    `turn: ${end.map((s, i) => `tab${i} steps=${s.steps} frames in=${s.framesReceived} links=${JSON.stringify(s.links)} acc=${acc[i].toFixed(3)}`).join('; ')}; ` +
      `coturn allocations: ${turn.allocations().length}`,
  );

  for (const s of [...ss, ...end]) {
    for (const link of s.links) expect(link.route).toBe('relay');
    expect(s.iceExpiresAt).not.toBeNull();
    expect(s.framesRejected).toBe(0);
  }
  // TURN REST API usernames are "<expiry>:<peer>": coturn saw the server's credentials, not a guess.
  const users = turn.allocations().map((a) => a.username);
  expect(users.length).toBeGreaterThanOrEqual(2);
  for (const u of users) expect(u).toMatch(/^\d+:/);
  // An untrained MLP scores about 0.1.
  for (const a of acc) expect(a).toBeGreaterThan(MIN_ACCURACY);
});
