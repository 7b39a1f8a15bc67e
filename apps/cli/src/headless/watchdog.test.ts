import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs a real Node process with the watchdog, then does `then` on its main thread. */
function run(then: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const script = `import { startWatchdog } from './apps/cli/src/headless/watchdog.ts';
const stop = startWatchdog(1);
setTimeout(() => { ${then} }, 200);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

describe('the headless peer watchdog', () => {
  it('kills a process whose event loop is stuck, and says why on stderr', async () => {
    const r = await run('for (;;) {}');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toMatch(/watchdog: the event loop has been blocked for \d+ s \(limit 1 s/);
  }, 30_000);

  it('leaves a process that is busy but keeps its event loop turning alone, and lets it exit', async () => {
    // 3 s of work in 50 ms slices: longer than the limit in total, never blocked for long.
    const r = await run(`let n = 0; const slice = () => { const t = Date.now(); while (Date.now() - t < 50); if (++n < 60) setImmediate(slice); else { stop(); } }; slice();`);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/watchdog/);
  }, 30_000);
});
