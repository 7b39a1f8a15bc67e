/**
 * Uploads a task of your own to a Starling server (the owner's admin token is needed):
 *
 *   npx tsx apps/cli/src/upload-task.ts --server http://localhost:8080 --token T --name "my table" \
 *     --model model.json [--weights group1-shard1of1.bin ...] --data table.csv --label-column y [--objective regression]
 *   npx tsx apps/cli/src/upload-task.ts ... --data images.zip            (a zip of <class>/<image>.png)
 *
 * Weight files default to those model.json's weightsManifest names, next to model.json. Prints the
 * stored task (its id, `custom-<n>`, is what a run config's `task` names) or the server's refusal.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      server: { type: 'string', default: 'http://localhost:8080' },
      token: { type: 'string', default: process.env.STARLING_ADMIN_TOKEN },
      name: { type: 'string' },
      model: { type: 'string' },
      weights: { type: 'string', multiple: true },
      data: { type: 'string' },
      'label-column': { type: 'string' },
      objective: { type: 'string', default: 'classification' },
    },
  });
  if (!a.token || !a.name || !a.model || !a.data) {
    console.error('usage: upload-task --server URL --token T --name NAME --model model.json --data (table.csv --label-column COL | images.zip) [--weights FILE...] [--objective regression]');
    return 2;
  }
  const modelJson = await readFile(a.model);
  const manifest = (JSON.parse(modelJson.toString('utf8')) as { weightsManifest?: { paths: string[] }[] }).weightsManifest ?? [];
  const weights = a.weights ?? manifest.flatMap((g) => g.paths.map((p) => join(dirname(a.model!), p)));
  const kind = a.data.endsWith('.zip') ? 'images' : 'csv';
  const form = new FormData();
  form.set('name', a.name);
  form.set('kind', kind);
  form.set('objective', a.objective!);
  if (a['label-column']) form.set('labelColumn', a['label-column']);
  form.set('model', new Blob([new Uint8Array(modelJson)]), 'model.json');
  for (const w of weights) form.append('weights', new Blob([new Uint8Array(await readFile(w))]), basename(w));
  form.set('data', new Blob([new Uint8Array(await readFile(a.data))]), basename(a.data));
  const res = await fetch(`${a.server}/api/tasks`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${a.token}` } });
  const body = (await res.json().catch(() => null)) as { task?: { id: string; title: string }; error?: { code: string; message: string } } | null;
  if (res.status !== 201 || !body?.task) {
    console.error(`refused (${res.status}): ${body?.error?.message ?? 'no details'}`);
    return 1;
  }
  console.log(`stored task ${body.task.id} (${body.task.title}); start a run of it with { "task": "${body.task.id}" }`);
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
