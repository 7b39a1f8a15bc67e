/** Markdown table and SVG plots of the timely-gossip scaling runs. */
import type { GossipPoint, GossipScalingPlan } from './gossip-scaling';
import { fmt, markdownTable } from './markdown';
import type { ReportFile } from './report-comparison';
import { lineChart, type Series } from './svg';

export function gossipTable(points: readonly GossipPoint[]): string {
  const rows = points.map((p) => [
    String(p.n),
    p.variant,
    String(p.fanout),
    fmt(p.meanAge, 2),
    fmt(p.predictedAge, 2),
    fmt(p.p95Age, 1),
    fmt(p.maxAge, 0),
    p.gap.toExponential(2),
    p.relErrorMean.toExponential(2),
    fmt(p.wallSeconds, 1),
  ]);
  return markdownTable(['n', 'fanout rule', 'f', 'mean age', 'H(n-1)/f', 'p95 age', 'max age', 'F(xbar) - F*', 'mean rel. error', 'wall s'], rows);
}

function byVariant(points: readonly GossipPoint[], y: (p: GossipPoint) => number): Series[] {
  const names = [...new Set(points.map((p) => p.variant))];
  return names.map((name, k) => {
    const ps = points.filter((p) => p.variant === name).sort((a, b) => a.n - b.n);
    return { name, x: ps.map((p) => p.n), y: ps.map(y), colorIndex: k };
  });
}

export function gossipReport(points: readonly GossipPoint[], plan: GossipScalingPlan, command: string, wallSeconds: number): ReportFile[] {
  const age = lineChart({
    title: 'Gossip local SGD: version age against n',
    xLabel: 'peers n',
    yLabel: 'version age (versions)',
    xScale: 'log2',
    yMin: 0,
    markers: true,
    series: [
      ...byVariant(points, (p) => p.meanAge).map((s) => ({ ...s, name: `mean, ${s.name}` })),
      ...byVariant(points, (p) => p.p95Age).map((s) => ({ ...s, name: `p95, ${s.name}`, dashed: true })),
    ],
  });
  const loss = lineChart({
    title: 'Gossip local SGD: error reached against n',
    xLabel: 'peers n',
    yLabel: 'mean ||x_i - x*|| / ||x*|| at the end',
    xScale: 'log2',
    markers: true,
    series: byVariant(points, (p) => p.relErrorMean),
  });
  const text = [
    `# Timely gossip: version age against n (preset with n = ${plan.ns.join(', ')})`,
    '',
    `Regenerate: \`${command}\``,
    '',
    `- Gossip local SGD (H = 1 local step per version), ${plan.versions} versions per peer, lr ${plan.lr}; least squares, dim ${plan.problem.dim}, ${plan.problem.samplesPerPeer} samples per peer, heterogeneity ${plan.problem.heterogeneity ?? 0}, minibatch ${plan.problem.batchSize ?? 0}.`,
    `- Compute: ${plan.stepTime * 1000} ms per step +-10%; links: ${plan.latency * 1000} ms + U(0, ${(plan.latency * 500).toFixed(1)} ms), no loss. Seed ${plan.seed}.`,
    `- Age of j at i = N_j - VV_i[j] over all ordered pairs (the simulator's exact staleness), averaged over ${plan.records} records after the first ${plan.warmup * 100}% of the run. H(n-1)/f is the toy model's prediction (docs/algorithms.md section 3).`,
    `- Wall time: ${(wallSeconds / 60).toFixed(1)} min.`,
    '',
    gossipTable(points),
    '',
    '![version age against n](plots/gossip-age.svg)',
    '',
    '![error reached against n](plots/gossip-error.svg)',
    '',
  ].join('\n');
  return [
    { path: 'gossip.md', text },
    { path: 'plots/gossip-age.svg', text: age },
    { path: 'plots/gossip-error.svg', text: loss },
  ];
}
