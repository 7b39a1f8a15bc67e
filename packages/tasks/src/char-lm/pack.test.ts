import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError } from '../data/errors';
import { encodeText, textSplits, TEXT, unigramPerplexity } from './pack';
import { readRdb } from './rdata';

/** One R character vector in XDR serialization version 3, as R's lazy-load data base stores it. */
function xdrStrings(lines: (string | null)[]): Buffer {
  const parts: Buffer[] = [Buffer.from('X\n', 'latin1')];
  const int = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    parts.push(b);
  };
  int(3);
  int(0x040201);
  int(0x030500);
  int(5);
  parts.push(Buffer.from('UTF-8'));
  int(16);
  int(lines.length);
  for (const l of lines) {
    int(0x00040009);
    if (l === null) int(-1);
    else {
      const bytes = Buffer.from(l, 'utf8');
      int(bytes.length);
      parts.push(bytes);
    }
  }
  return Buffer.concat(parts);
}

function rdbBlock(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, deflateSync(payload)]);
}

describe('reading the novels from an R lazy-load data base', () => {
  it('reads every block as a character vector, NA as an empty line', () => {
    const file = Buffer.concat([rdbBlock(xdrStrings(['EMMA', null, 'By Jane Austen'])), rdbBlock(xdrStrings(['PERSUASION']))]);
    expect(readRdb(file, 'test.rdb')).toEqual([['EMMA', '', 'By Jane Austen'], ['PERSUASION']]);
  });

  it('refuses a truncated block, a wrong length and objects that are not character vectors', () => {
    const good = rdbBlock(xdrStrings(['a', 'b']));
    expect(() => readRdb(good.subarray(0, good.length - 3), 'cut.rdb')).toThrow(DataError);
    const lying = Buffer.from(good);
    lying.writeUInt32BE(999, 0);
    expect(() => readRdb(lying, 'len.rdb')).toThrow(/inflates to/);
    const ints = xdrStrings(['a']);
    ints.writeInt32BE(13, 2 + 4 * 4 + 5); // INTSXP where the STRSXP flags are
    expect(() => readRdb(rdbBlock(ints), 'int.rdb')).toThrow(/not a character vector/);
    expect(() => readRdb(Buffer.from([0, 0, 0, 5, 1, 2]), 'junk.rdb')).toThrow(DataError);
  });
});

describe('the text as tokens', () => {
  it('maps characters to the fixed vocabulary, unknown ones to ?', () => {
    const ids = encodeText('Hi\n£');
    expect(Array.from(ids, (i) => TEXT.vocabulary[i]).join('')).toBe('Hi\n?');
  });

  it('holds out the end of each book, and the unigram baseline is the entropy of the frequencies', () => {
    const book = (c: string) => [c.repeat(TEXT.validationPerBook * 3)];
    const { train, test } = textSplits([book('a'), book('b')]);
    expect(test.count).toBe(2 * TEXT.validationPerBook + 2);
    expect(train.layout).toBe('stream');
    // Half a, half b (plus two newlines): a perplexity of about 2.
    expect(unigramPerplexity(train, test)).toBeGreaterThan(1.9);
    expect(unigramPerplexity(train, test)).toBeLessThan(2.2);
    expect(() => textSplits([['short']])).toThrow(/too short/);
  });
});
