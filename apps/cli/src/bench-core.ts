/**
 * Core benchmark: the simulator's speed on 1,000 peers x 1,000 steps of R-FAST, then the per-step
 * cost of every algorithm (gradient excluded) at 100k and 1M parameters and out-degree 2, 3, 4.
 *
 *   npx tsx apps/cli/src/bench-core.ts            # full run, a couple of minutes
 *   npx tsx apps/cli/src/bench-core.ts --quick    # smaller sizes, for a smoke test
 */
import { ALGORITHMS } from '@starling/core';
import { measureSimSpeed } from './bench/sim-speed';
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
  `\nStep cost without the gradient (beginStep + applyGradient + receive of one round's messages), ` +
    `${PEERS} peers, ${BLOCK}-coordinate blocks; ns/param from the median`,
);
const rows: string[][] = [['algorithm', 'params', 'degree', 'ms/step (median)', 'ms/step (min)', 'ns/param', 'msgs in/step']];
for (const algorithm of ALGORITHMS) {
  for (const dim of SIZES) {
    for (const degree of DEGREES) {
      const rounds = dim >= 1_000_000 ? 3 : 8;
      const r = measureStepCost({ algorithm, dim, degree, peers: PEERS, blockSize: BLOCK, warmupRounds: 2, rounds });
      rows.push([
        algorithm,
        dim.toLocaleString('en-US'),
        String(degree),
        r.msPerStep.toFixed(3),
        r.msPerStepMin.toFixed(3),
        r.nsPerParam.toFixed(2),
        r.messagesPerStep.toFixed(1),
      ]);
    }
  }
}
console.log(table(rows));
