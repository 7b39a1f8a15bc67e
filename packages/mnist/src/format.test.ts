import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MnistError, SET_HEADER_BYTES, decodeSet, encodeSet, encodedSize, readSetHeader, subset, type MnistErrorCode } from './index';
import { syntheticSet } from './testing';

function codeOf(f: () => unknown): MnistErrorCode | 'no error' | 'other error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof MnistError ? e.code : 'other error';
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const set = syntheticSet(50, 3);

function edited(edit: (v: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = encodeSet(set, { index: 2, of: 5 });
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

describe('set payload round trip', () => {
  it('keeps dims, shard, images and labels; zero-copy views of the input', () => {
    const bytes = encodeSet(set, { index: 2, of: 5 });
    expect(bytes.length).toBe(encodedSize(set));
    const out = decodeSet(bytes, { rows: 28, cols: 28, count: 50, shard: { index: 2, of: 5 } });
    expect([out.rows, out.cols, out.count, out.shard.index, out.shard.of]).toEqual([28, 28, 50, 2, 5]);
    expect(sameBytes(out.images, set.images)).toBe(true);
    expect(sameBytes(out.labels, set.labels)).toBe(true);
    expect(out.images.buffer).toBe(bytes.buffer);
  });

  it('decodes from an ArrayBuffer (fetch) and from an offset view (Node Buffer pool)', () => {
    const bytes = encodeSet(set);
    expect(decodeSet(bytes.slice().buffer).shard).toEqual({ index: 0, of: 1 });
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    expect(sameBytes(decodeSet(host.subarray(3)).labels, set.labels)).toBe(true);
  });

  it('handles other image sizes and an empty set', () => {
    const small = syntheticSet(7, 4, 5, 3);
    const out = decodeSet(encodeSet(small));
    expect([out.rows, out.cols, out.count]).toEqual([5, 3, 7]);
    expect(sameBytes(out.images, small.images)).toBe(true);
    expect(decodeSet(encodeSet(subset(set, new Uint32Array(0)))).count).toBe(0);
  });
});

describe('corrupt payloads are rejected with their code', () => {
  const cases: [string, () => unknown, MnistErrorCode][] = [
    ['empty', () => decodeSet(new Uint8Array(0)), 'truncated'],
    ['header minus one', () => decodeSet(edited(() => {}).subarray(0, SET_HEADER_BYTES - 1)), 'truncated'],
    ['body minus one', () => decodeSet(edited(() => {}).subarray(0, encodedSize(set) - 1)), 'length-mismatch'],
    ['count + 1', () => decodeSet(edited((v) => v.setUint32(12, 51, true))), 'length-mismatch'],
    ['rows changed', () => decodeSet(edited((v) => v.setUint16(6, 27, true))), 'length-mismatch'],
    ['magic', () => decodeSet(edited((v) => v.setUint32(0, 0x4d4e5354, true))), 'bad-magic'],
    ['version', () => decodeSet(edited((v) => v.setUint16(4, 2, true))), 'bad-version'],
    ['zero rows', () => decodeSet(edited((v) => v.setUint16(6, 0, true))), 'bad-header'],
    ['zero cols', () => decodeSet(edited((v) => v.setUint16(8, 0, true))), 'bad-header'],
    ['padding', () => decodeSet(edited((v) => v.setUint16(10, 1, true))), 'bad-header'],
    ['shard index = count', () => decodeSet(edited((v) => v.setUint32(16, 5, true))), 'bad-header'],
    ['zero shards', () => decodeSet(edited((v) => v.setUint32(20, 0, true))), 'bad-header'],
    ['label 10', () => decodeSet(edited((_v, b) => (b[b.length - 1] = 10))), 'bad-label'],
    ['label 255', () => decodeSet(edited((_v, b) => (b[b.length - 50] = 255))), 'bad-label'],
    ['wrong shard', () => decodeSet(edited(() => {}), { shard: { index: 1, of: 5 } }), 'unexpected-set'],
    ['wrong shard count', () => decodeSet(edited(() => {}), { shard: { index: 2, of: 4 } }), 'unexpected-set'],
    ['wrong count', () => decodeSet(edited(() => {}), { count: 49 }), 'unexpected-set'],
    ['not bytes', () => decodeSet('x' as unknown as Uint8Array), 'bad-option'],
  ];
  for (const [name, run, code] of cases) it(name, () => expect(codeOf(run)).toBe(code));

  it('readSetHeader checks the header alone', () => {
    const h = readSetHeader(edited(() => {}).subarray(0, SET_HEADER_BYTES));
    expect(h.totalBytes).toBe(encodedSize(set));
    expect(h.shard).toEqual({ index: 2, of: 5 });
  });

  it('random bytes and random header edits only ever raise MnistError', () => {
    const onlyMnistErrors = (bytes: Uint8Array) => codeOf(() => decodeSet(bytes)) !== 'other error';
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), onlyMnistErrors), { numRuns: 1000 });
    const valid = encodeSet(syntheticSet(3, 1, 4, 4));
    fc.assert(
      fc.property(fc.nat(SET_HEADER_BYTES - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const b = valid.slice();
        b[at] ^= xor;
        return onlyMnistErrors(b);
      }),
      { numRuns: 500 },
    );
  });
});

describe('encodeSet refuses inconsistent sets', () => {
  it('mismatched lengths, bad labels, bad shard refs', () => {
    expect(codeOf(() => encodeSet({ ...set, count: 49 }))).toBe('bad-option');
    expect(codeOf(() => encodeSet({ ...set, labels: set.labels.subarray(1) }))).toBe('bad-option');
    expect(codeOf(() => encodeSet({ ...set, rows: 0, images: new Uint8Array(0) }))).toBe('bad-option');
    const labels = set.labels.slice();
    labels[7] = 12;
    expect(codeOf(() => encodeSet({ ...set, labels }))).toBe('bad-label');
    expect(codeOf(() => encodeSet(set, { index: 3, of: 3 }))).toBe('bad-option');
    expect(codeOf(() => encodeSet(set, { index: 0, of: 0 }))).toBe('bad-option');
  });
});

describe('subset', () => {
  it('gathers the chosen examples in order', () => {
    const idx = new Uint32Array([49, 0, 7, 7]);
    const s = subset(set, idx);
    expect(s.count).toBe(4);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      expect(sameBytes(s.images.subarray(k * 784, (k + 1) * 784), set.images.subarray(i * 784, (i + 1) * 784))).toBe(true);
      expect(s.labels[k]).toBe(set.labels[i]);
    }
    expect(codeOf(() => subset(set, new Uint32Array([50])))).toBe('bad-option');
  });
});
