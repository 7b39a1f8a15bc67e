import { runGossipPoint, GOSSIP_PRESETS, GOSSIP_VARIANTS } from '../src/index';
const base = GOSSIP_PRESETS.quick;
for (const versions of [30, 60]) for (const v of GOSSIP_VARIANTS.slice(0, 2)) {
  const p = runGossipPoint({ ...base, versions }, 256, v);
  console.log(versions, v.label, p.meanAge.toFixed(2), p.p95Age, p.relErrorMean.toExponential(2), p.wallSeconds.toFixed(1));
}
