/**
 * Simulator throughput: R-FAST on the exponential graph, a 10-dimensional least-squares problem,
 * default network and compute models, run to a fixed number of steps per peer.
 */
import { runSimulation } from '@starling/sim';

export interface SimSpeed {
  peers: number;
  stepsPerPeer: number;
  events: number;
  wallS: number;
  eventsPerS: number;
  /** Relative error of the worst peer at the end, to show the run did real work. */
  relErrorMax: number;
  virtualS: number;
}

export function measureSimSpeed(peers: number, stepsPerPeer: number): SimSpeed {
  const t0 = performance.now();
  const r = runSimulation({
    n: peers,
    algorithm: 'rfast',
    settings: { lr: 0.3 },
    topology: { kind: 'exponential' },
    problem: { kind: 'least-squares', dim: 10, samplesPerPeer: 20, heterogeneity: 1 },
    stop: { stepsPerPeer },
    // Sparse records: this measures the engine, not the metrics.
    record: { interval: 10, perPeer: false },
    seed: 1,
  });
  const wallS = (performance.now() - t0) / 1000;
  return {
    peers,
    stepsPerPeer,
    events: r.events,
    wallS,
    eventsPerS: r.events / wallS,
    relErrorMax: r.final.relErrorMax,
    virtualS: r.endTime,
  };
}
