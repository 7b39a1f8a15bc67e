import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary directories of this test process, removed when it exits. Each test server packs
 * MNIST into its data dir (about 54 MB), and a data dir outlives its server when a spec restarts
 * a server on it, so they go at the worker's exit: left behind, 1,628 of them filled this
 * machine's disk and failed a CI run with ENOSPC.
 */
const dirs = new Set<string>();
let hooked = false;

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of dirs) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // A server killed at exit may still hold a file; the OS cleans /tmp eventually.
        }
      }
    });
  }
  return dir;
}
