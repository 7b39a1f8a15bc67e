import { describe, expect, it } from 'vitest';
import { parseControl } from './control';

describe('control messages', () => {
  it('parses heartbeats and model requests', () => {
    expect(parseControl('{"t":"hb","epoch":2,"sent":10}', 100)).toEqual({ t: 'hb', epoch: 2, sent: 10 });
    expect(parseControl('{"t":"model-req","id":7}', 100)).toEqual({ t: 'model-req', id: 7 });
  });

  it.each([
    ['not JSON', '{hb'],
    ['unknown type', '{"t":"boom"}'],
    ['negative count', '{"t":"hb","epoch":2,"sent":-1}'],
    ['fractional epoch', '{"t":"hb","epoch":2.5,"sent":1}'],
    ['string id', '{"t":"model-req","id":"7"}'],
    ['array', '[1,2]'],
    ['null', 'null'],
  ])('returns null for %s', (_, text) => {
    expect(parseControl(text, 100)).toBeNull();
  });

  it('refuses oversized text before parsing it', () => {
    expect(parseControl(`{"t":"hb","epoch":1,"sent":1,"pad":"${'x'.repeat(200)}"}`, 100)).toBeNull();
  });
});
