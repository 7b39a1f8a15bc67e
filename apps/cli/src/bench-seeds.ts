/**
 * Several seeds of one comparison preset side by side (median and range per figure):
 *
 *   npx tsx apps/cli/src/bench-seeds.ts results/home/comparison.json results/home-s2/comparison.json ... --out results/home
 *
 * Writes OUT/seeds.md (OUT defaults to the first file's folder).
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BenchError, seedsReport, writeReport, type ComparisonResult } from '@starling/bench';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--out');
  const out = at >= 0 ? argv[at + 1] : undefined;
  const files = argv.filter((_, i) => i !== at && i !== at + 1);
  if (files.length === 0 || (at >= 0 && out === undefined)) throw new BenchError('usage: bench-seeds.ts RESULT.json [RESULT.json ...] [--out DIR]');
  const results: ComparisonResult[] = [];
  for (const f of files) {
    const saved = JSON.parse(await readFile(f, 'utf8')) as { result?: ComparisonResult };
    if (saved.result === undefined) throw new BenchError(`${f} is not a saved comparison (no "result")`);
    results.push(saved.result);
  }
  const command = `npx tsx apps/cli/src/bench-seeds.ts ${files.join(' ')}${out === undefined ? '' : ` --out ${out}`}`;
  const written = await writeReport(out ?? dirname(files[0]), [{ path: 'seeds.md', text: seedsReport(results, command) }]);
  console.log(`wrote ${written.join(', ')}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exitCode = 1;
});
