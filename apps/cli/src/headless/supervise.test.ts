import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signalExitCode, supervise } from './supervise';

/** A real child process that crashes by SIGSEGV for its first `crashes` runs (counted in files), then exits with `code`. */
function crashingChild(dir: string, crashes: number, code: number) {
  const script = `
    const { existsSync, writeFileSync } = require('node:fs');
    for (let i = 0; i < ${crashes}; i++) {
      const f = ${JSON.stringify(dir)} + '/run' + i;
      if (!existsSync(f)) { writeFileSync(f, ''); process.kill(process.pid, 'SIGSEGV'); setTimeout(() => {}, 10000); return; }
    }
    process.exit(${code});`;
  return () => spawn(process.execPath, ['-e', `(() => {${script}})()`], { stdio: 'ignore' });
}

describe('the headless peer supervisor', () => {
  it('starts a fresh child after a crash, and takes the exit code of one that exits by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'starling-supervise-'));
    const lines: string[] = [];
    const code = await supervise(crashingChild(dir, 2, 3), { maxRestarts: 5, backoffMs: () => 10, log: (l) => lines.push(l) });
    expect(code).toBe(3);
    expect(existsSync(join(dir, 'run1'))).toBe(true);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/died by SIGSEGV .*\(restart 1 of 5\)/);
  }, 30_000);

  it('gives up after maxRestarts and exits as the crash would have', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'starling-supervise-'));
    const lines: string[] = [];
    const code = await supervise(crashingChild(dir, 3, 0), { maxRestarts: 1, backoffMs: () => 10, log: (l) => lines.push(l) });
    expect(code).toBe(signalExitCode('SIGSEGV'));
    expect(code).toBe(139);
    expect(lines.at(-1)).toMatch(/no restarts left \(1 used\), giving up/);
  }, 30_000);
});
