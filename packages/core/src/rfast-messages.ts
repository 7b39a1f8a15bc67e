/**
 * R-FAST's messages (docs/algorithms.md 1.3 step 6 and the receive rule): what one step sends, and
 * the receive handler that validates everything a buggy or malicious sender could get wrong, keeps
 * only the newest block per (sender, kind, block) and never adds anything to z on arrival.
 */
import { MsgKind, type Envelope, type Message, type PeerId } from './contract';
import { blockStart, isValidBlock, type BlockLayout } from './blocks';
import type { MassLinks, PullLinks } from './rfast-links';
import type { SimdScratch } from './rfast-simd';

export type Verdict = 'ok' | 'rejected' | 'stale';

/** What a step sends: per block, v to every G_R out-neighbour and the mass vector to every G_C one. */
export interface StepSends {
  from: PeerId;
  epoch: number;
  seq: number;
  layout: BlockLayout;
  rOut: readonly PeerId[];
  cOut: readonly PeerId[];
  vBlocks: readonly Float32Array[];
  /** Running sums (RfastRho), or the naive variant's increments (NaiveDelta). */
  massBlocks: readonly Float64Array[];
  massKind: MsgKind;
}

/** All unreliable: a later running sum contains every earlier one, so a lost block is a late one. */
export function stepEnvelopes(s: StepSends): Envelope[] {
  const out: Envelope[] = [];
  const { from, epoch, seq, layout } = s;
  for (let block = 0; block < layout.count; block++) {
    const offset = blockStart(layout, block);
    for (const to of s.rOut) {
      out.push({ to, reliable: false, msg: { kind: MsgKind.RfastV, from, epoch, seq, block, offset, aux: 0, data: s.vBlocks[block] } });
    }
    const data = s.massBlocks[block];
    for (const to of s.cOut) {
      out.push({ to, reliable: false, msg: { kind: s.massKind, from, epoch, seq, block, offset, aux: 0, data } });
    }
  }
  return out;
}

/**
 * The receive rule. Stores the block only when every check passed (positional arguments: this
 * runs for every message, so it allocates nothing).
 */
export function acceptMessage(
  msg: Message,
  current: number,
  layout: BlockLayout,
  pull: PullLinks,
  mass: MassLinks,
  naive: boolean,
  scratch: SimdScratch | null,
): Verdict {
  if (typeof msg !== 'object' || msg === null) return 'rejected';
  const { kind, from, epoch, seq, block, offset, data } = msg;
  if (!Number.isSafeInteger(epoch)) return 'rejected';
  // Another epoch is not an attack: frames cross every membership change. Older epochs are void,
  // newer ones resend everything once we switch, so both are dropped as stale, not counted as bad.
  if (epoch !== current) return 'stale';
  if (!Number.isSafeInteger(seq) || seq < 0) return 'rejected';
  if (kind === MsgKind.RfastV) {
    const j = pull.index.of(from);
    if (j < 0 || !(data instanceof Float32Array)) return 'rejected';
    if (!isValidBlock(layout, block, offset, data.length)) return 'rejected';
    const slot = j * layout.count + block;
    if (seq <= pull.seq[slot]) return 'stale'; // before the finiteness scan: duplicates cost no pass
    if (!pull.store(j, offset, data, scratch)) return 'rejected';
    pull.seq[slot] = seq;
  } else if (kind === (naive ? MsgKind.NaiveDelta : MsgKind.RfastRho)) {
    const j = mass.index.of(from);
    if (j < 0 || !(data instanceof Float64Array)) return 'rejected';
    if (!isValidBlock(layout, block, offset, data.length)) return 'rejected';
    const slot = j * layout.count + block;
    if (seq <= mass.seq[slot]) return 'stale';
    if (!mass.store(j, block, offset, data, naive, scratch)) return 'rejected';
    mass.seq[slot] = seq;
  } else {
    return 'rejected';
  }
  return 'ok';
}
