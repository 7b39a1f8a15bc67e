import { describe, expect, it } from 'vitest';
import { DataError } from '../data/errors';
import { parseIdx } from './idx';

function idx(dims: number[], data: number[], typeByte = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = typeByte;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

describe('parseIdx', () => {
  it('reads big-endian dims and the data view', () => {
    const a = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]), 2, 'test');
    expect(a.dims).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects wrong type, wrong rank, short or long files, naming the source', () => {
    const bad = [
      () => parseIdx(idx([2], [1, 2], 0x0d), 1, 'f.idx'),
      () => parseIdx(idx([2, 1], [1, 2]), 1, 'f.idx'),
      () => parseIdx(idx([3], [1, 2]), 1, 'f.idx'),
      () => parseIdx(idx([1], [1, 2]), 1, 'f.idx'),
      () => parseIdx(new Uint8Array(5), 1, 'f.idx'),
      () => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]), 1, 'f.idx'),
    ];
    for (const f of bad) {
      expect(f).toThrow(DataError);
      expect(f).toThrow(/f\.idx/);
    }
  });
});
