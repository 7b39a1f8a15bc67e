import { describe, expect, it } from 'vitest';
import { linksText, routeCounts } from './links';

describe('links cell', () => {
  it('lists each neighbour with its route and round-trip time', () => {
    const links = [
      { peer: 3, route: 'relay' as const, rttMs: 12.4 },
      { peer: 5, route: 'host' as const, rttMs: 0.84 },
      { peer: 7, route: 'srflx' as const, rttMs: null },
    ];
    expect(linksText(links)).toBe('→3 relay 12 ms · →5 host 0.8 ms · →7 srflx');
    expect(routeCounts(links)).toEqual({ relay: 1, host: 1, srflx: 1 });
  });

  it('a dash before the first report', () => {
    expect(linksText(undefined)).toBe('—');
    expect(linksText([])).toBe('—');
  });
});
