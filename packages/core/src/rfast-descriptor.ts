/** R-FAST's registry entries (registry.ts); the algorithm itself is rfast.ts. */
import { MsgKind, defineAlgorithm, type OptionSpec } from './contract';
import { RFAST_DEFAULTS, RFAST_ENCODING_NAMES } from './rfast-config';
import { RFast } from './rfast';
import { ROBUST_OPTION } from './robust-clip';

const ENCODING: OptionSpec = {
  type: 'enum',
  values: RFAST_ENCODING_NAMES,
  doc: 'how v and the running sums travel: f32 (whole: v float32, sums float64) or compact deltas f16-i8, bf16-i8, i8, f16-f32 (docs/algorithms.md 1.7)',
};

const PUSH_SHARE: OptionSpec = {
  type: 'number',
  min: 0.001,
  max: 1,
  doc: `share of the tracker z each push moves to the out-neighbours; default ${RFAST_DEFAULTS.pushShare} (the spec's uniform weights: d/(d+1)); see RFAST_DEFAULTS.pushShare`,
};

const SEND_SHARE: OptionSpec = {
  type: 'number',
  min: 0.001,
  max: 1,
  doc: `a send budget: the share of its slots (one per kind and block for every out-neighbour) a peer may send per step; default ${RFAST_DEFAULTS.sendShare} (no budget: the link decides); see RFAST_DEFAULTS.sendShare`,
};

const PACE_MARGIN: OptionSpec = {
  type: 'number',
  min: 0,
  max: 16,
  doc: `receiver pacing: a neighbour slower than this peer gets this many times its own step rate in slots; default ${RFAST_DEFAULTS.paceMargin}; 0: off (the link decides); see RFAST_DEFAULTS.paceMargin`,
};

const DEGREE_BUDGET: OptionSpec = {
  type: 'number',
  min: 0,
  max: 64,
  doc: `a degree budget: at most this many models' worth of slots per step, split among the neighbours; default ${RFAST_DEFAULTS.degreeBudget} (0: off); see RFAST_DEFAULTS.degreeBudget`,
};

/**
 * Default step 0.3: four real tabs reach 90% with it (e2e/train.spec.ts); the simulated tuning
 * grid picked 0.6 on 40 MB/s links (BENCHMARKS.md).
 */
export const RFAST_DESCRIPTOR = defineAlgorithm({
  name: 'rfast',
  label: 'R-FAST',
  defaultLr: 0.3,
  links: 'graph',
  joins: 'grow',
  kinds: [MsgKind.RfastV, MsgKind.RfastRho, MsgKind.RfastAck, MsgKind.RfastPace],
  options: { encoding: ENCODING, pushShare: PUSH_SHARE, sendShare: SEND_SHARE, paceMargin: PACE_MARGIN, degreeBudget: DEGREE_BUDGET, robust: ROBUST_OPTION },
  create: (opts) => new RFast(opts),
});

/** Increments instead of running sums: loses mass under loss. For tests and benchmarks only. */
export const RFAST_NAIVE_DESCRIPTOR = defineAlgorithm({
  name: 'rfast-naive',
  label: 'R-FAST (naive increments)',
  family: 'rfast',
  defaultLr: 0.3,
  links: 'graph',
  kinds: [MsgKind.RfastV, MsgKind.NaiveDelta, MsgKind.RfastPace],
  options: {},
  create: (opts) => new RFast({ ...opts, naive: true }),
});
