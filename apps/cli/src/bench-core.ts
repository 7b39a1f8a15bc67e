/**
 * Core benchmark: the simulator's speed on 1,000 peers x 1,000 steps of R-FAST, then one R-FAST
 * peer's step and receive cost (SIMD and JavaScript kernels, warm and cold cache), then the
 * per-step cost of every algorithm (gradient excluded) at 100k and 1M parameters and out-degree
 * 2, 3, 4.
 *
 *   npx tsx apps/cli/src/bench-core.ts            # full run, a couple of minutes
 *   npx tsx apps/cli/src/bench-core.ts --quick    # smaller sizes, for a smoke test
 */
import { ALGORITHMS, type AlgorithmName } from '@starling/core';
import { measureSimSpeed } from './bench/sim-speed';
import { measurePeerCost } from './bench/rfast-peer-cost';
import { measureStepCost } from './bench/step-cost';

const quick = process.argv.includes('--quick');
const SIZES = quick ? [10_000] : [100_000, 1_000_000];
const DEGREES = [2, 3, 4];
/** Peers in the step-cost runs: enough for out-degree 4 plus AllReduce's ring. */
const PEERS = 8;
/** Coordinates per message: 16 KiB of float32, the wire's default chunk. */
const BLOCK = 4096;
const SIM = quick ? { peers: 100, steps: 100 } : { peers: 1000, steps: 1000 };

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

console.log(`Simulator speed: R-FAST, exponential graph, ${SIM.peers} peers x ${SIM.steps} steps, 10-dim least squares`);
const s = measureSimSpeed(SIM.peers, SIM.steps);
console.log(
  table([
    ['peers', 'steps/peer', 'events', 'wall s', 'events/s', 'virtual s', 'final rel. error'],
    [
      String(s.peers),
      String(s.stepsPerPeer),
      s.events.toLocaleString('en-US'),
      s.wallS.toFixed(1),
      Math.round(s.eventsPerS).toLocaleString('en-US'),
      s.virtualS.toFixed(1),
      s.relErrorMax.toExponential(2),
    ],
  ]),
);

// After the simulator: the 1M-parameter runs leave a large, fragmented heap that slows it down.
console.log(
  `\nR-FAST, one peer: steps 1-6 (beginStep + applyGradient) and the receive handler for one step's ` +
    `messages (every block of v and rho from each in-neighbour), ${BLOCK}-coordinate blocks; medians in ms. ` +
    `warm: nothing runs between steps; cold: 64 MiB written between steps. ns/param: warm step.`,
);
const peerRows: string[][] = [
  ['kernels', 'params', 'degree', 'step warm', 'receive warm', 'total warm', 'step cold', 'receive cold', 'total cold', 'ns/param'],
];
for (const kernels of ['simd', 'js'] as const) {
  for (const dim of SIZES) {
    for (const degree of DEGREES) {
      const steps = dim >= 1_000_000 ? 30 : 100;
      const warm = measurePeerCost({ dim, degree, blockSize: BLOCK, kernels, cold: false, steps });
      const cold = measurePeerCost({ dim, degree, blockSize: BLOCK, kernels, cold: true, steps });
      peerRows.push([
        kernels,
        dim.toLocaleString('en-US'),
        String(degree),
        ...[warm.stepMs, warm.receiveMs, warm.totalMs, cold.stepMs, cold.receiveMs, cold.totalMs].map((v) => v.toFixed(3)),
        ((warm.stepMs * 1e6) / dim).toFixed(2),
      ]);
    }
  }
}
console.log(table(peerRows));

// Block size is a tunable (spec 1.5): smaller blocks survive loss better but cost more per message.
const sweepDim = SIZES[0];
console.log(`\nR-FAST, one peer, SIMD kernels, ${sweepDim.toLocaleString('en-US')} params, degree 3, by block size; medians in ms (warm)`);
const sweepRows: string[][] = [['block size', 'messages in/step', 'step', 'receive', 'total']];
for (const blockSize of [256, 1024, 4096, 16384]) {
  const r = measurePeerCost({ dim: sweepDim, degree: 3, blockSize, kernels: 'simd', cold: false, steps: 100 });
  sweepRows.push([String(blockSize), String(2 * 3 * Math.ceil(sweepDim / blockSize)), ...[r.stepMs, r.receiveMs, r.totalMs].map((v) => v.toFixed(3))]);
}
console.log(table(sweepRows));

console.log(
  `\nEvery algorithm in a lockstep round of ${PEERS} peers: step = beginStep + applyGradient, receive = ` +
    `that round's receive() calls (replies and relayed hops included), total = both; medians in ms, ` +
    `cold cache (eight peers' states do not fit). ns/param from the total.`,
);
const rows: string[][] = [['algorithm', 'params', 'degree', 'step', 'receive', 'total', 'total (min)', 'ns/param', 'msgs in/step']];
const variants = ALGORITHMS.flatMap((algorithm): { algorithm: AlgorithmName; kernels?: 'simd' | 'js'; label: string }[] =>
  algorithm === 'rfast' || algorithm === 'rfast-naive'
    ? (['simd', 'js'] as const).map((kernels) => ({ algorithm, kernels, label: `${algorithm} (${kernels})` }))
    : [{ algorithm, label: algorithm }],
);
for (const { algorithm, kernels, label } of variants) {
  for (const dim of SIZES) {
    for (const degree of DEGREES) {
      const rounds = dim >= 1_000_000 ? 3 : 8;
      const r = measureStepCost({ algorithm, dim, degree, peers: PEERS, blockSize: BLOCK, warmupRounds: 2, rounds, kernels });
      rows.push([
        label,
        dim.toLocaleString('en-US'),
        String(degree),
        r.stepOnlyMs.toFixed(3),
        r.receiveMs.toFixed(3),
        r.msPerStep.toFixed(3),
        r.msPerStepMin.toFixed(3),
        r.nsPerParam.toFixed(2),
        r.messagesPerStep.toFixed(1),
      ]);
    }
  }
}
console.log(table(rows));
