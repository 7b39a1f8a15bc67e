/**
 * `npm start`: builds the web app when its sources changed since the last build (saying so, with
 * vite's progress), then starts the server in this process with
 * the same arguments (`npm start -- --port 9000`). A build that is up to date is served as it is.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'apps/web/dist/index.html');
// Everything the bundle is made of: the app, the packages it imports, the static assets, the lockfile.
const sources = ['apps/web', 'packages', 'public', 'package-lock.json'];
const skipped = new Set(['node_modules', 'dist', '.vite']);

function newestMtime(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (skipped.has(entry) || entry.endsWith('.test.ts')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

function buildReason(): string | null {
  const st = statSync(built, { throwIfNoEntry: false });
  if (st === undefined) return 'no build yet';
  const newest = Math.max(...sources.map((s) => newestMtime(join(root, s))));
  return newest > st.mtimeMs ? 'sources changed since the last build' : null;
}

function build(reason: string): Promise<void> {
  console.log(`building the web app (${reason})…`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const vite = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/web/vite.config.ts'], {
      cwd: root,
      stdio: 'inherit',
    });
    vite.once('error', reject);
    vite.once('exit', (code) => {
      if (code === 0) {
        console.log(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        resolve();
      } else reject(new Error(`the web app build failed (vite exited with ${code}); see its output above`));
    });
  });
}

const reason = buildReason();
if (reason === null) console.log('web app: serving the existing build (apps/web/dist is newer than its sources)');
else {
  try {
    await build(reason);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  }
}
// main.ts reads process.argv.slice(2), which holds this script's arguments unchanged.
await import('../apps/server/src/main');
