/**
 * The epoch handling the reliable baselines (AllReduce, D-PSGD, AD-PSGD, SGP/OSGP) share: every
 * received message passes the epoch gate first, messages of a newer epoch wait in an inbox until
 * setEpoch replays them, and every rejection is counted. Gossip is not among them: its traffic is
 * unreliable, so a message of another epoch is treated as lost rather than held.
 */
import type { AlgoStats, CommonOptions, Envelope, Message, PeerId, PeerNeighbours } from './contract';
import { blockLayout } from './blocks';
import { Evidence, type SenderEvidence } from './robust-evidence';
import type { RobustPull } from './robust-clip';
import { BASELINE_DEFAULTS } from './baseline-config';
import { EpochInbox, checkCommonOptions, emptyStats, passEpochGate, type KindSet } from './baseline-support';

export abstract class EpochGatedBaseline {
  protected readonly st: AlgoStats = emptyStats();
  protected readonly inbox: EpochInbox;
  protected epoch: number;
  /** Per-sender counts of hostile frames (issue 13); subclasses pass it to isFloat32Block. */
  protected readonly evidence: Evidence;
  /** Robust mixing of received models (D-PSGD, AD-PSGD set it from `opts.robust`); null: off. */
  protected robust: RobustPull | null = null;

  /**
   * Validates the options every baseline shares (ConfigError with the fix), starts in `opts.epoch`
   * and holds early messages of `kinds`, at most `heldVectors` model-sized vectors per sender.
   * Subclasses call enterEpoch(opts.neighbours) themselves once their own state exists.
   */
  protected constructor(opts: CommonOptions, kinds: KindSet, heldVectors: number = BASELINE_DEFAULTS.heldVectorsPerSender) {
    checkCommonOptions(opts);
    this.evidence = new Evidence(blockLayout(opts.x0.length, opts.blockSize).count);
    this.evidence.meet(opts.neighbours.members);
    this.inbox = new EpochInbox(kinds, heldVectors * opts.x0.length, BASELINE_DEFAULTS.maxEpochLead);
    this.epoch = opts.epoch;
  }

  receive(msg: Message): Envelope[] {
    if (!passEpochGate(msg, this.epoch, this.inbox, this.st)) return [];
    this.evidence.frame(msg.from);
    return this.handle(msg);
  }

  senderEvidence(): Map<PeerId, SenderEvidence> {
    return this.evidence.snapshot();
  }

  setEpoch(epoch: number, neighbours: PeerNeighbours): Envelope[] {
    if (!(epoch > this.epoch)) return []; // a repeated or out-of-date announcement
    this.epoch = epoch;
    this.evidence.meet(neighbours.members);
    this.leaveEpoch();
    this.enterEpoch(neighbours);
    this.robust?.retain(neighbours.undirected); // D-PSGD and AD-PSGD mix their undirected neighbours only
    const { out, dropped } = this.inbox.replay(epoch, (m) => this.handle(m));
    this.st.rejected += dropped;
    return out;
  }

  stats(): AlgoStats {
    return { ...this.st };
  }

  /**
   * A received model block (already checked by isFloat32Block) as it is mixed: clipped around `own`
   * when robust mixing is on, and then counted. `news`: the frame is the sender's newer model (see
   * RobustPull.pull), so an unchanged payload counts as frozen.
   */
  protected mixable(msg: Message, own: Float32Array, news = false): Float32Array {
    const data = msg.data as Float32Array;
    const r = this.robust;
    if (r === null) return data;
    const out = r.pull(msg.block, msg.from, msg.offset, data, own, news);
    if (r.clipped) this.st.clipped = (this.st.clipped ?? 0) + 1;
    this.evidence.mixed(msg.from, r.clipped, r.frozen, r.opposed);
    return out;
  }

  /** Handles a message of the current epoch (one that passed the gate, or a replayed one). */
  protected abstract handle(msg: Message): Envelope[];

  /** Sets up the state of the current epoch for these neighbours; its held messages follow. */
  protected abstract enterEpoch(nb: PeerNeighbours): void;

  /** Runs on setEpoch before enterEpoch, while the state is still the old epoch's. */
  protected leaveEpoch(): void {}

  /** Counts a message that failed validation; nothing is sent in reply. */
  protected reject(): Envelope[] {
    this.st.rejected++;
    return [];
  }
}
