/**
 * Reading an uploaded zip: a trust boundary. Every size is checked from the central directory
 * before anything is inflated (entry count, each entry's size, the total, the compression ratio:
 * zip bombs), names are refused when they could escape a folder (`..`, absolute, backslashes, NUL),
 * only stored and deflated entries without encryption are read, and each inflated entry must have
 * exactly its declared size and CRC-32. Nothing is written to disk.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { UploadError } from './errors';

export interface ZipLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  /** Largest uncompressed / compressed size of one entry. */
  maxRatio: number;
}

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function findEnd(b: Buffer): number {
  for (let at = b.length - 22; at >= Math.max(0, b.length - 22 - 0xffff); at--) if (b.readUInt32LE(at) === EOCD) return at;
  throw new UploadError('the zip file has no end-of-directory record: truncated, or not a zip');
}

export function safeEntryName(name: string): boolean {
  if (name.length === 0 || name.length > 512 || name.includes('\\') || name.includes('\0') || name.startsWith('/') || /^[A-Za-z]:/.test(name)) return false;
  return name.split('/').every((seg, i, all) => seg !== '..' && seg !== '.' && (seg !== '' || i === all.length - 1));
}

/** The zip's file entries (directories skipped), inflated, with every check above. */
export function readZip(bytes: Uint8Array, limits: ZipLimits): ZipEntry[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 22) throw new UploadError('the zip file is too short to be a zip');
  const end = findEnd(b);
  const count = b.readUInt16LE(end + 10);
  const cdSize = b.readUInt32LE(end + 12);
  const cdOffset = b.readUInt32LE(end + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new UploadError('zip64 archives are not supported; zip fewer, smaller files');
  if (count > limits.maxEntries) throw new UploadError(`the zip holds ${count} entries, more than the ${limits.maxEntries} allowed`, 413);
  if (cdOffset + cdSize > end) throw new UploadError('the zip directory points outside the file: truncated or corrupt');
  const entries: ZipEntry[] = [];
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || b.readUInt32LE(at) !== CENTRAL) throw new UploadError(`zip directory entry ${i} is damaged: truncated or corrupt zip`);
    const flags = b.readUInt16LE(at + 8);
    const method = b.readUInt16LE(at + 10);
    const crc = b.readUInt32LE(at + 16);
    const compSize = b.readUInt32LE(at + 20);
    const size = b.readUInt32LE(at + 24);
    const nameLen = b.readUInt16LE(at + 28);
    const next = at + 46 + nameLen + b.readUInt16LE(at + 30) + b.readUInt16LE(at + 32);
    const local = b.readUInt32LE(at + 42);
    if (next > end) throw new UploadError(`zip directory entry ${i} runs past the directory`);
    const name = b.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    at = next;
    if (!safeEntryName(name)) throw new UploadError(`zip entry '${name.slice(0, 100)}' has an unsafe name (.., an absolute path, backslashes or NUL)`);
    if (name.endsWith('/')) continue;
    if (flags & 1) throw new UploadError(`zip entry '${name.slice(0, 100)}' is encrypted`);
    if (method !== 0 && method !== 8) throw new UploadError(`zip entry '${name.slice(0, 100)}' uses compression method ${method}; only stored and deflated entries are read`);
    if (size > limits.maxEntryBytes) throw new UploadError(`zip entry '${name.slice(0, 100)}' is ${size} bytes uncompressed, over the ${limits.maxEntryBytes}-byte limit`, 413);
    if (size > limits.maxRatio * Math.max(compSize, 1)) throw new UploadError(`zip entry '${name.slice(0, 100)}' expands ${compSize} bytes to ${size}: a compression ratio over ${limits.maxRatio} is refused (zip bomb?)`, 413);
    total += size;
    if (total > limits.maxTotalBytes) throw new UploadError(`the zip expands to more than ${limits.maxTotalBytes} bytes`, 413);
    if (local + 30 > b.length || b.readUInt32LE(local) !== LOCAL) throw new UploadError(`zip entry '${name.slice(0, 100)}' has no local header where the directory says: truncated or corrupt zip`);
    const dataAt = local + 30 + b.readUInt16LE(local + 26) + b.readUInt16LE(local + 28);
    if (dataAt + compSize > b.length) throw new UploadError(`zip entry '${name.slice(0, 100)}' is cut off: truncated zip`);
    const raw = b.subarray(dataAt, dataAt + compSize);
    let data: Buffer;
    try {
      data = method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
    } catch (e) {
      throw new UploadError(`zip entry '${name.slice(0, 100)}' does not inflate: ${(e as Error).message.slice(0, 100)}`);
    }
    if (data.length !== size || crc32(data) !== crc) throw new UploadError(`zip entry '${name.slice(0, 100)}' fails its size or CRC check: corrupt zip`);
    entries.push({ name, data });
  }
  return entries;
}
