import { Simulation } from '../packages/sim/src/simulator';
import { lsConfig } from '../packages/sim/src/test-support';
const c = lsConfig({ n: 8, settings: { lr: 0.4, encoding: 'f16-i8' }, topology: { kind: 'exponential' }, network: { latency: 0.01, jitter: 0.03, loss: 0.5, duplicate: 0.1, uplink: { bytesPerSec: 20000, latencyMs: 20 } }, stop: { time: 4 } });
const sim = new Simulation(c, false);
sim.start();
let end = null;
let k = 0;
const t0 = performance.now();
while (end === null && k < 2_000_000) {
  end = sim.next();
  k++;
  if (k % 200000 === 0) console.log(k, (sim as any).now, (sim as any).pending, (sim as any).queue.size ?? '');
}
console.log('end', end, k, (performance.now() - t0) / 1000);
