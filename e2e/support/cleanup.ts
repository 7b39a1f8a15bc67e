import { test } from '@playwright/test';
import type { TestServer } from './server';
import { closeAll, type Volunteer } from './swarm';

/** What a test of a spec file starts and must stop: its server and its tabs. */
export interface SpecState {
  server: TestServer | null;
  tabs: Volunteer[];
}

/** Registers an afterEach that closes the tabs and stops the server (printing its log on failure). */
export function useSpecCleanup(): SpecState {
  const st: SpecState = { server: null, tabs: [] };
  test.afterEach(async ({}, info) => {
    if (info.status !== info.expectedStatus && st.server) console.error(`server log:\n${st.server.log().slice(-4000)}`);
    await closeAll(st.tabs);
    st.tabs = [];
    await st.server?.stop();
    st.server = null;
  });
  return st;
}
