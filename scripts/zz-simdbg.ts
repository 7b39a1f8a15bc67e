import { runSimulation } from '../packages/sim/src/simulator';
import { lsConfig } from '../packages/sim/src/test-support';
const t0 = performance.now();
for (const uplink of [undefined, { bytesPerSec: 20_000, latencyMs: 20 }]) for (const encoding of ['f32', 'f16-i8']) {
  const c = lsConfig({ n: 8, settings: { lr: 0.2, encoding }, topology: { kind: 'exponential' }, network: { latency: 0.01, jitter: 0.03, loss: 0.5, duplicate: 0.1, uplink }, stop: { time: 40 } });
  const r = runSimulation(c);
  console.log(encoding, !!uplink, r.events, r.final.relErrorMax.toExponential(2), r.final.massInTransit, ((performance.now() - t0) / 1000).toFixed(1));
}
