import type { Snapshot } from '@starling/bench';
import type { Volunteer } from '../support/swarm';

interface SnapshotWindow extends Window {
  __benchSnaps?: [number, Float32Array][];
  __benchTimer?: number;
}

/**
 * Each tab copies its model every `everyMs` into a list the bench collects now and then. Asking a
 * busy tab for its model waits for its event loop: with R-FAST on loopback a round of four
 * requests plus scoring took about 9 s, so the bench's times came in 9 s steps. A copy taken by
 * the tab's own timer carries the time it was taken, and the bench scores only the copies it needs
 * (FirstCrossings).
 */
export async function startSnapshots(tabs: readonly Volunteer[], everyMs: number): Promise<void> {
  await Promise.all(tabs.map((v) => v.page.evaluate((ms) => {
    const w = window as SnapshotWindow;
    w.__benchSnaps = [];
    w.__benchTimer = window.setInterval(() => {
      const m = window.starling?.model();
      if (m) w.__benchSnaps!.push([Date.now(), m]);
    }, ms);
  }, everyMs)));
}

/** The copies a tab took since the last call, oldest first (empty before its first step). */
export async function takeSnapshots(v: Volunteer): Promise<Snapshot[]> {
  const raw = await v.page.evaluate(() => {
    const w = window as SnapshotWindow;
    const s = w.__benchSnaps ?? [];
    w.__benchSnaps = [];
    return s.map(([at, m]) => [at, Array.from(m)] as [number, number[]]);
  });
  return raw.map(([at, m]) => ({ at, params: Float32Array.from(m) }));
}
