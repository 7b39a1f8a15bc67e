import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SET_HEADER_BYTES, decodeSet, encodeSet, encodedSize, readSetHeader, subset, sliceStream, type DataErrorCode, type DataSet } from '../index';
import { codeOf, syntheticSet } from './testing';


function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const set = syntheticSet(50, 3);
/** A regression table: 3 float features and a float target per row (a CSV task's shape). */
const table: DataSet = {
  layout: 'examples',
  featureShape: [3],
  features: Float32Array.from({ length: 21 }, (_, i) => i / 7 - 1),
  targets: Float32Array.from({ length: 7 }, (_, i) => i * 0.5),
  count: 7,
  classes: 0,
};
const stream: DataSet = { layout: 'stream', featureShape: [1], features: Uint8Array.from('hello world'.split(''), (c) => c.charCodeAt(0) - 32), targets: null, count: 11, classes: 96 };

function edited(edit: (v: DataView, bytes: Uint8Array) => void, of: DataSet = set): Uint8Array {
  const bytes = encodeSet(of, { index: 2, of: 5 });
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

describe('set payload round trip', () => {
  it('keeps shape, shard, features and labels; zero-copy views of the input', () => {
    const bytes = encodeSet(set, { index: 2, of: 5 });
    expect(bytes.length).toBe(encodedSize(set));
    const out = decodeSet(bytes, { featureShape: [28, 28, 1], count: 50, classes: 10, shard: { index: 2, of: 5 } });
    expect([out.count, out.shard.index, out.shard.of, out.layout]).toEqual([50, 2, 5, 'examples']);
    expect(sameValues(out.features, set.features)).toBe(true);
    expect(sameValues(out.targets!, set.targets!)).toBe(true);
    expect(out.features.buffer).toBe(bytes.buffer);
  });

  it('keeps float features and float targets (4-aligned after byte-sized data), and streams', () => {
    const out = decodeSet(encodeSet(table));
    expect(out.features).toBeInstanceOf(Float32Array);
    expect(sameValues(out.features, table.features)).toBe(true);
    expect(sameValues(out.targets!, table.targets!)).toBe(true);
    const s = decodeSet(encodeSet(stream), { layout: 'stream' });
    expect(s.targets).toBeNull();
    expect(sameValues(s.features, stream.features)).toBe(true);
  });

  it('decodes from an ArrayBuffer (fetch) and from an offset view (Node Buffer pool), copying unaligned floats', () => {
    const bytes = encodeSet(set);
    expect(decodeSet(bytes.slice().buffer).shard).toEqual({ index: 0, of: 1 });
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    expect(sameValues(decodeSet(host.subarray(3)).targets!, set.targets!)).toBe(true);
    const t = encodeSet(table);
    const odd = new Uint8Array(t.length + 1);
    odd.set(t, 1);
    expect(sameValues(decodeSet(odd.subarray(1)).targets!, table.targets!)).toBe(true);
  });

  it('handles other image sizes and an empty set', () => {
    const small = syntheticSet(7, 4, 5, 3);
    const out = decodeSet(encodeSet(small));
    expect([...out.featureShape, out.count]).toEqual([5, 3, 1, 7]);
    expect(decodeSet(encodeSet(subset(set, new Uint32Array(0)))).count).toBe(0);
  });
});

describe('corrupt payloads are rejected with their code', () => {
  const cases: [string, () => unknown, DataErrorCode][] = [
    ['empty', () => decodeSet(new Uint8Array(0)), 'truncated'],
    ['header minus one', () => decodeSet(edited(() => {}).subarray(0, SET_HEADER_BYTES - 1)), 'truncated'],
    ['body minus one', () => decodeSet(edited(() => {}).subarray(0, encodedSize(set) - 1)), 'length-mismatch'],
    ['count + 1', () => decodeSet(edited((v) => v.setUint32(24, 51, true))), 'length-mismatch'],
    ['rows changed', () => decodeSet(edited((v) => v.setUint32(12, 27, true))), 'length-mismatch'],
    ['magic', () => decodeSet(edited((v) => v.setUint32(0, 0x4d4e5354, true))), 'bad-magic'],
    ['version', () => decodeSet(edited((v) => v.setUint16(4, 2, true))), 'bad-version'],
    ['zero rows', () => decodeSet(edited((v) => v.setUint32(12, 0, true))), 'bad-header'],
    ['unused dim not 1', () => decodeSet(edited((v) => v.setUint8(9, 1))), 'bad-header'],
    ['unknown layout', () => decodeSet(edited((v) => v.setUint8(6, 2))), 'bad-header'],
    ['stream with targets', () => decodeSet(edited((v) => v.setUint8(6, 1))), 'bad-header'],
    ['reserved', () => decodeSet(edited((v) => v.setUint32(36, 1, true))), 'bad-header'],
    ['shard index = count', () => decodeSet(edited((v) => v.setUint32(28, 5, true))), 'bad-header'],
    ['zero shards', () => decodeSet(edited((v) => v.setUint32(32, 0, true))), 'bad-header'],
    ['label 10', () => decodeSet(edited((_v, b) => (b[b.length - 1] = 10))), 'bad-label'],
    ['label 255', () => decodeSet(edited((_v, b) => (b[b.length - 50] = 255))), 'bad-label'],
    ['token out of vocabulary', () => decodeSet(edited((_v, b) => (b[SET_HEADER_BYTES] = 200), stream)), 'bad-label'],
    ['NaN target', () => decodeSet(edited((v, b) => v.setFloat32(b.length - 4, Number.NaN, true), table)), 'bad-label'],
    ['Infinite feature', () => decodeSet(edited((v) => v.setFloat32(SET_HEADER_BYTES, Infinity, true), table)), 'bad-label'],
    ['wrong shard', () => decodeSet(edited(() => {}), { shard: { index: 1, of: 5 } }), 'unexpected-set'],
    ['wrong shard count', () => decodeSet(edited(() => {}), { shard: { index: 2, of: 4 } }), 'unexpected-set'],
    ['wrong count', () => decodeSet(edited(() => {}), { count: 49 }), 'unexpected-set'],
    ['wrong layout', () => decodeSet(edited(() => {}), { layout: 'stream' }), 'unexpected-set'],
    ['not bytes', () => decodeSet('x' as unknown as Uint8Array), 'bad-option'],
  ];
  for (const [name, run, code] of cases) it(name, () => expect(codeOf(run)).toBe(code));

  it('readSetHeader checks the header alone', () => {
    const h = readSetHeader(edited(() => {}).subarray(0, SET_HEADER_BYTES));
    expect(h.totalBytes).toBe(encodedSize(set));
    expect(h.shard).toEqual({ index: 2, of: 5 });
  });

  it('random bytes and random header edits only ever raise DataError', () => {
    const onlyDataErrors = (bytes: Uint8Array) => codeOf(() => decodeSet(bytes)) !== 'other error';
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), onlyDataErrors), { numRuns: 1000 });
    for (const valid of [encodeSet(syntheticSet(3, 1, 4, 4)), encodeSet(table), encodeSet(stream)]) {
      fc.assert(
        fc.property(fc.nat(SET_HEADER_BYTES - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
          const b = valid.slice();
          b[at] ^= xor;
          return onlyDataErrors(b);
        }),
        { numRuns: 300 },
      );
    }
  });
});

describe('encodeSet refuses inconsistent sets', () => {
  it('mismatched lengths, bad labels, bad shard refs, streams with targets', () => {
    expect(codeOf(() => encodeSet({ ...set, count: 49 }))).toBe('bad-option');
    expect(codeOf(() => encodeSet({ ...set, targets: set.targets!.subarray(1) }))).toBe('bad-option');
    expect(codeOf(() => encodeSet({ ...set, featureShape: [0], features: new Uint8Array(0) }))).toBe('bad-option');
    expect(codeOf(() => encodeSet({ ...stream, targets: new Uint8Array(11) }))).toBe('bad-option');
    const labels = (set.targets as Uint8Array).slice();
    labels[7] = 12;
    expect(codeOf(() => encodeSet({ ...set, targets: labels }))).toBe('bad-label');
    expect(codeOf(() => encodeSet(set, { index: 3, of: 3 }))).toBe('bad-option');
    expect(codeOf(() => encodeSet(set, { index: 0, of: 0 }))).toBe('bad-option');
  });
});

describe('subset and sliceStream', () => {
  it('gathers the chosen examples in order', () => {
    const idx = new Uint32Array([49, 0, 7, 7]);
    const s = subset(set, idx);
    expect(s.count).toBe(4);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      expect(sameValues(s.features.subarray(k * 784, (k + 1) * 784), set.features.subarray(i * 784, (i + 1) * 784))).toBe(true);
      expect(s.targets![k]).toBe(set.targets![i]);
    }
    expect(codeOf(() => subset(set, new Uint32Array([50])))).toBe('bad-option');
  });

  it('concatenates token ranges of a stream', () => {
    const s = sliceStream(stream, [[6, 11], [0, 5]]);
    expect(String.fromCharCode(...Array.from(s.features, (t) => t + 32))).toBe('worldhello');
    expect(codeOf(() => sliceStream(stream, [[3, 12]]))).toBe('bad-option');
  });
});
