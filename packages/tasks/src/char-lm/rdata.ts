/**
 * Reads the character vectors out of an R package's lazy-load data base (`data/Rdata.rdb`): a
 * sequence of blocks, each a 4-byte big-endian length followed by a zlib stream holding one R
 * object in R's XDR serialization ('X\n', version 2 or 3). Only what the janeaustenr package holds
 * is understood: a character vector (STRSXP of CHARSXPs); anything else is refused by name.
 */
import { inflateSync } from 'node:zlib';
import { DataError } from '../data/errors';

const STRSXP = 16;
const CHARSXP = 9;
/** A decompressed block larger than this is refused (a novel is a few hundred kB). */
const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

class XdrReader {
  private at = 0;
  constructor(
    private readonly b: Buffer,
    private readonly source: string,
  ) {}

  int(): number {
    if (this.at + 4 > this.b.length) throw this.fail('ends early');
    const v = this.b.readInt32BE(this.at);
    this.at += 4;
    return v;
  }

  bytes(n: number): Buffer {
    if (n < 0 || this.at + n > this.b.length) throw this.fail(`has no ${n} more bytes`);
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  fail(why: string): DataError {
    return new DataError('bad-source', `${this.source}: the R serialization ${why} at byte ${this.at}`);
  }
}

/** One serialized R object that must be a character vector; NA entries become ''. */
export function readCharacterVector(block: Buffer, source: string): string[] {
  const r = new XdrReader(block, source);
  if (r.bytes(2).toString('latin1') !== 'X\n') throw r.fail("does not start with 'X\\n' (only XDR is read)");
  const version = r.int();
  if (version !== 2 && version !== 3) throw r.fail(`has version ${version} (2 or 3 are read)`);
  r.int(); // writer's R version
  r.int(); // minimal reader version
  if (version === 3) r.bytes(r.int()); // native encoding name
  const flags = r.int();
  if ((flags & 0xff) !== STRSXP) throw r.fail(`holds an object of type ${flags & 0xff}, not a character vector (${STRSXP})`);
  const n = r.int();
  if (n < 0) throw r.fail(`announces ${n} strings`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if ((r.int() & 0xff) !== CHARSXP) throw r.fail(`has a non-string element ${i}`);
    const len = r.int();
    out.push(len === -1 ? '' : r.bytes(len).toString('utf8'));
  }
  return out;
}

/** Every object of an Rdata.rdb file, in file order, each as a character vector. */
export function readRdb(file: Buffer, source: string): string[][] {
  const out: string[][] = [];
  let at = 0;
  while (at < file.length) {
    if (at + 4 > file.length) throw new DataError('bad-source', `${source}: a block header is cut off at byte ${at}`);
    const size = file.readUInt32BE(at);
    if (size > MAX_BLOCK_BYTES) throw new DataError('bad-source', `${source}: block at byte ${at} announces ${size} bytes, over the ${MAX_BLOCK_BYTES} limit`);
    let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      inflated = inflateSync(file.subarray(at + 4), { info: true, maxOutputLength: MAX_BLOCK_BYTES }) as unknown as typeof inflated;
    } catch (e) {
      throw new DataError('bad-source', `${source}: block at byte ${at} does not inflate (${(e as Error).message})`);
    }
    if (inflated.buffer.length !== size) throw new DataError('bad-source', `${source}: block at byte ${at} inflates to ${inflated.buffer.length} bytes, its header says ${size}`);
    out.push(readCharacterVector(inflated.buffer, `${source} block ${out.length}`));
    at += 4 + inflated.engine.bytesWritten;
  }
  return out;
}
