/**
 * Node only: the text of the character-level language model. Jane Austen's six novels (public
 * domain, from Project Gutenberg) as Debian's `r-cran-janeaustenr` package ships them: an R
 * lazy-load data base, read with ./rdata.ts, so R itself is not needed. `scripts/ensure-austen.sh`
 * fetches the package with `apt-get download` and unpacks it under `.data/sources/` (no R, no
 * dependencies installed). The text is packed once into a token stream over a fixed vocabulary.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataError } from '../data/errors';
import type { DataSet } from '../data/set';
import { ensurePackedSet, loadPackedSet, type Log } from '../packing';
import type { TaskData } from '../task';
import { readRdb } from './rdata';

export const TEXT = {
  /** Where the package's data base is looked for, first match wins (env STARLING_AUSTEN_RDB first). */
  rdbCandidates: [
    '/usr/lib/R/site-library/janeaustenr/data/Rdata.rdb',
    '.data/sources/usr/lib/R/site-library/janeaustenr/data/Rdata.rdb',
  ],
  /** The last this many characters of each novel are held out as the validation text. */
  validationPerBook: 10_000,
  /** Characters a token can be: newline, then printable ASCII 32..126 (96 tokens). */
  vocabulary: '\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join(''),
  /** What a character outside the vocabulary becomes (the text has one: a pound sign). */
  unknown: '?',
} as const;

export function findRdb(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.STARLING_AUSTEN_RDB, ...TEXT.rdbCandidates].filter((p): p is string => !!p).map((p) => resolve(p));
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new DataError(
      'bad-source',
      `the char-lm text (Debian package r-cran-janeaustenr) is not installed: run 'bash scripts/ensure-austen.sh' (apt-get download + unpack into .data/sources, no R needed) or set STARLING_AUSTEN_RDB; looked in ${candidates.join(', ')}`,
    );
  }
  return found;
}

/** Text -> token ids over TEXT.vocabulary. */
export function encodeText(text: string): Uint8Array {
  const index = new Map<string, number>();
  for (let i = 0; i < TEXT.vocabulary.length; i++) index.set(TEXT.vocabulary[i], i);
  const unknown = index.get(TEXT.unknown)!;
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = index.get(text[i]) ?? unknown;
  return out;
}

function stream(tokens: Uint8Array): DataSet {
  return { layout: 'stream', featureShape: [1], features: tokens, targets: null, count: tokens.length, classes: TEXT.vocabulary.length };
}

/** Training and validation streams from the novels (each a list of lines). */
export function textSplits(books: readonly (readonly string[])[]): TaskData {
  const train: string[] = [];
  const valid: string[] = [];
  for (const lines of books) {
    const text = lines.join('\n');
    if (text.length <= 2 * TEXT.validationPerBook) throw new DataError('bad-source', `a book of ${text.length} characters is too short to hold out ${TEXT.validationPerBook}`);
    train.push(text.slice(0, -TEXT.validationPerBook));
    valid.push(text.slice(-TEXT.validationPerBook));
  }
  return { train: stream(encodeText(train.join('\n\n'))), test: stream(encodeText(valid.join('\n\n'))) };
}

export async function readNovels(rdb: string = findRdb()): Promise<TaskData> {
  return textSplits(readRdb(await readFile(rdb), rdb));
}

/** Both streams, packed into `dataDir` on first use. */
export async function loadText(dataDir: string, log: Log): Promise<TaskData> {
  const paths = { train: join(dataDir, 'austen-train.bin'), test: join(dataDir, 'austen-test.bin') };
  const want = { layout: 'stream' as const, featureShape: [1], classes: TEXT.vocabulary.length };
  let parsed: Promise<TaskData> | undefined;
  const read = () => (parsed ??= readNovels());
  await ensurePackedSet(paths.train, want, async () => (await read()).train, log, 'austen train');
  await ensurePackedSet(paths.test, want, async () => (await read()).test, log, 'austen validation');
  const [train, test] = await Promise.all([loadPackedSet(paths.train), loadPackedSet(paths.test)]);
  return { train, test };
}

/**
 * Perplexity of the unigram model (character frequencies of `train`, add-one smoothed) on `test`:
 * the baseline the language model must beat.
 */
export function unigramPerplexity(train: DataSet, test: DataSet): number {
  const counts = new Float64Array(train.classes).fill(1);
  for (let i = 0; i < train.count; i++) counts[train.features[i]]++;
  const total = counts.reduce((a, b) => a + b, 0);
  let nll = 0;
  for (let i = 0; i < test.count; i++) nll -= Math.log(counts[test.features[i]] / total);
  return Math.exp(nll / test.count);
}
