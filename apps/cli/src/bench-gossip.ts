/**
 * Timely gossip at scale in the simulator: gossip local SGD for growing n, fixed fanout against
 * ceil(c ln n); version age (mean, p95) and the error reached.
 *
 *   npx tsx apps/cli/src/bench-gossip.ts --preset quick|full [--out DIR] [--seed N]
 *
 * Writes DIR/gossip.md, DIR/gossip.json and DIR/plots/gossip-*.svg (DIR defaults to results/gossip-PRESET).
 */
import { gossipPreset, gossipReport, parseBenchArgs, runGossipPoint, writeReport, type GossipPoint } from '@starling/bench';

function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2), { preset: 'quick', outPrefix: 'results/gossip' });
  if (args.stepTime !== null) throw new Error('--step-time does not apply: the gossip runs use the simulator\'s own compute model');
  const plan = { ...gossipPreset(args.preset), seed: args.seed };
  const wall0 = performance.now();
  const points: GossipPoint[] = [];
  for (const n of plan.ns) {
    for (const v of plan.variants) {
      const p = runGossipPoint(plan, n, v);
      points.push(p);
      console.log(`n=${n} ${v.label} (f=${p.fanout}): mean age ${p.meanAge.toFixed(2)}, p95 ${p.p95Age.toFixed(1)}, rel. error ${p.relErrorMean.toExponential(2)} (${p.wallSeconds.toFixed(1)} s)`);
    }
  }
  const wall = (performance.now() - wall0) / 1000;
  const command = `npx tsx apps/cli/src/bench-gossip.ts --preset ${args.preset} --seed ${args.seed} --out ${args.out}`;
  const files = gossipReport(points, plan, command, wall);
  files.push({ path: 'gossip.json', text: JSON.stringify({ plan, points }) });
  return writeReport(args.out, files).then((written) => console.log(`wrote ${written.join(', ')} in ${(wall / 60).toFixed(1)} min`));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exitCode = 1;
});
