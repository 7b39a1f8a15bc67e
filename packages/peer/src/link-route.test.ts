import { describe, expect, it } from 'vitest';
import { pathFromStats } from './link-route';

const cand = (id: string, candidateType: string) => ({ id, type: 'local-candidate', candidateType });

describe('link path from RTCPeerConnection stats', () => {
  it('the transport names the selected pair; a relayed side makes the link relayed', () => {
    const stats = [
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P2' },
      { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', nominated: true, state: 'succeeded', currentRoundTripTime: 0.001 },
      { id: 'P2', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R1', nominated: true, state: 'succeeded', currentRoundTripTime: 0.0123 },
      cand('L1', 'host'),
      cand('L2', 'relay'),
      { id: 'R1', type: 'remote-candidate', candidateType: 'srflx' },
    ];
    expect(pathFromStats(stats)).toEqual({ route: 'relay', rttMs: 12.3 });
  });

  it('without a transport entry, the nominated pair that succeeded; srflx beats host', () => {
    const stats = new Map<string, unknown>([
      ['P', { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', nominated: true, state: 'succeeded' }],
      ['Q', { id: 'Q', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', nominated: false, state: 'failed' }],
      ['L', cand('L', 'host')],
      ['R', { id: 'R', type: 'remote-candidate', candidateType: 'srflx' }],
    ]);
    expect(pathFromStats(stats.entries())).toEqual({ route: 'srflx', rttMs: null });
  });

  it('no selected pair, or candidates of an unknown type: no path', () => {
    expect(pathFromStats([])).toBeNull();
    expect(pathFromStats([{ id: 'P', type: 'candidate-pair', nominated: true, state: 'in-progress' }])).toBeNull();
    const odd = [
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
      { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', currentRoundTripTime: -1 },
      cand('L', 'host'),
      { id: 'R', type: 'remote-candidate', candidateType: 'mystery' },
    ];
    expect(pathFromStats(odd)).toBeNull();
  });

  it('a negative or non-finite round-trip time is not reported', () => {
    const stats = [
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
      { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', currentRoundTripTime: Number.NaN },
      cand('L', 'host'),
      { id: 'R', type: 'remote-candidate', candidateType: 'host' },
    ];
    expect(pathFromStats(stats)).toEqual({ route: 'host', rttMs: null });
  });
});
