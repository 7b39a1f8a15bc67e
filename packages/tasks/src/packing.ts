/**
 * Node only: pack a task's data once into `.data/` in the data set format (data/format.ts), reuse
 * the file while its header still says what the task expects, and load it back validated.
 */
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DataError } from './data/errors';
import { SET_HEADER_BYTES, decodeSet, encodeSet, readSetHeader, type DecodedSet, type SetHeader } from './data/format';
import type { DataSet } from './data/set';

export type Log = (line: string) => void;

/** What a packed file must hold to be reused (every given field is compared with its header). */
export interface PackedExpectation {
  layout: DataSet['layout'];
  featureShape: readonly number[];
  classes: number;
  /** Exact count, when the source has a known size (MNIST's 60,000). */
  count?: number;
}

/** Why an existing packed file cannot be reused, or null when it can (size and header only). */
async function staleReason(path: string, want: PackedExpectation): Promise<string | null> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return 'missing';
  }
  const head = new Uint8Array(Math.min(SET_HEADER_BYTES, size));
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  let h: SetHeader;
  try {
    h = readSetHeader(head);
  } catch (e) {
    return e instanceof DataError ? e.message : String(e);
  }
  if (size !== h.totalBytes) return `size ${size} is not the ${h.totalBytes} its header announces`;
  const same =
    h.layout === want.layout && h.featureShape.join('x') === want.featureShape.join('x') && h.classes === want.classes &&
    (want.count === undefined || h.count === want.count) && h.shard.of === 1;
  return same ? null : `header says ${h.layout} of ${h.count} x [${h.featureShape.join('x')}], ${h.classes} classes`;
}

/**
 * Makes sure `path` holds the packed set, building it with `build` when missing or stale. Writes go
 * to a temporary name first, so a crash or a concurrent run never leaves a half-written file under
 * the final name.
 */
export async function ensurePackedSet(path: string, want: PackedExpectation, build: () => Promise<DataSet>, log: Log, what: string): Promise<void> {
  const reason = await staleReason(path, want);
  if (reason === null) {
    log(`${what}: reusing ${path}`);
    return;
  }
  log(`${what}: packing into ${path} (${reason})`);
  const t0 = performance.now();
  const bytes = encodeSet(await build());
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  log(`${what}: wrote ${(bytes.length / 1e6).toFixed(1)} MB in ${(performance.now() - t0).toFixed(0)} ms`);
}

/** Reads and fully validates one packed set file. */
export async function loadPackedSet(path: string): Promise<DecodedSet> {
  const bytes = await readFile(path);
  try {
    return decodeSet(bytes);
  } catch (e) {
    if (e instanceof DataError) throw new DataError(e.code, `${path}: ${e.message}; delete it and start again to repack`);
    throw e;
  }
}
