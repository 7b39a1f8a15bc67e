/**
 * Hostile peers for the simulator (issue 13's attack matrix): an `Algorithm` decorator that runs an
 * honest algorithm and rewrites what it sends. Plug it in through `SimConfig.createAlgorithm`
 * (`hostileFactory`); the honest peers run the real core code and see nothing but frames.
 *
 * The attacker speaks the protocol correctly (valid headers, fresh seqs, plain f32/f64 payloads), so
 * only the content is hostile: what a modified client could send. Attacks:
 * - `sign-flip`: every model and tracker payload negated.
 * - `scale`: every payload times `scale` (default 1e6; finite, so it passes the finiteness check).
 * - `noise`: model payloads replaced by the honest ones plus N(0, noiseStd^2) per coordinate.
 * - `alie` ("a little is enough", Baruch et al. 2019): model payloads replaced by mean - z * std of
 *   the newest copies this peer received from its honest neighbours, per coordinate: close to the
 *   honest models, shifted the same way every step.
 * - `replay`: every payload is the first one this peer sent for that (kind, block), re-sent with
 *   fresh seqs (a frozen peer that keeps pushing its initial model and running sums).
 *
 * Simulation-only code: it allocates per frame and never runs in a real peer.
 */
import { MsgKind, Rng, type Algorithm, type AlgorithmName, type AlgorithmOptions, type Envelope, type Message, type PeerId, type SlotSource } from '@starling/core';
import { createAlgorithm } from '@starling/core';
import { SimConfigError } from './errors';

export const ATTACKS = ['sign-flip', 'scale', 'noise', 'alie', 'replay'] as const;
export type AttackKind = (typeof ATTACKS)[number];

export interface AttackSpec {
  kind: AttackKind;
  /** Peer ids that attack. */
  ids: readonly PeerId[];
  /** `scale`: the factor (default 1e6). */
  scale?: number;
  /** `noise`: standard deviation per coordinate (default 1). */
  noiseStd?: number;
  /** `alie`: how many standard deviations from the mean (default 1). */
  z?: number;
  /** Which payloads are rewritten: model copies, tracker mass (R-FAST running sums), or both (default). */
  payloads?: 'model' | 'tracker' | 'both';
}

/** Kinds whose payload is a model (or a model-like share); the rest (trackers, acks, votes) is `TRACKER_KINDS` or left alone. */
const MODEL_KINDS: ReadonlySet<number> = new Set([
  MsgKind.RfastV,
  MsgKind.DpsgdModel,
  MsgKind.AdRequest,
  MsgKind.AdReply,
  MsgKind.PushSum,
  MsgKind.GossipModel,
  MsgKind.ArReduce,
  MsgKind.ArGather,
  MsgKind.ModelHandoff,
]);
const TRACKER_KINDS: ReadonlySet<number> = new Set([MsgKind.RfastRho, MsgKind.NaiveDelta]);

/**
 * Wraps the default factory: ids in `spec.ids` run `HostilePeer`, the rest the honest algorithm.
 * Hostile R-FAST peers send plain f32/f64 frames (the easiest for an attacker to forge).
 */
export function hostileFactory(spec: AttackSpec, seed: number, inner: (name: AlgorithmName, opts: AlgorithmOptions) => Algorithm = createAlgorithm) {
  if (!(ATTACKS as readonly string[]).includes(spec.kind)) throw new SimConfigError(`unknown attack '${String(spec.kind)}'; expected one of ${ATTACKS.join(', ')}`);
  const ids = new Set(spec.ids);
  return (name: AlgorithmName, opts: AlgorithmOptions): Algorithm => {
    if (!ids.has(opts.id)) return inner(name, opts);
    const honest = inner(name, { ...opts, encoding: name === 'rfast' ? 'f32' : opts.encoding, robust: 'off' });
    return new HostilePeer(honest, spec, new Rng(seed * 7919 + opts.id * 104729 + 1));
  };
}

type Float = Float32Array | Float64Array;

class HostilePeer implements Algorithm {
  readonly slots?: SlotSource;
  /** alie: newest model payload received per (kind, block), per sender. */
  private readonly heard = new Map<string, Map<PeerId, Float32Array>>();
  /** replay: first payload sent per (kind, block). */
  private readonly first = new Map<string, Float>();

  constructor(
    private readonly inner: Algorithm,
    private readonly spec: AttackSpec,
    private readonly rng: Rng,
  ) {
    if (inner.slots !== undefined) {
      // Looked up on every call: an algorithm may hand out a new source on a new epoch or a grow
      // (R-FAST does), and one captured here would go on sending the old epoch's frames.
      const src = (): SlotSource => inner.slots as SlotSource;
      this.slots = {
        targets: () => src().targets(),
        slotCount: (t) => src().slotCount(t),
        nextPending: (t, from) => src().nextPending(t, from),
        take: (t, s) => this.rewrite(src().take(t, s)),
        get version() {
          return src().version;
        },
      };
    }
    if (inner.grow !== undefined) this.grow = (nb, departed) => inner.grow!(nb, departed).map((e) => this.rewrite(e));
  }

  readonly grow?: Algorithm['grow'];

  get name(): string {
    return this.inner.name;
  }
  get id(): PeerId {
    return this.inner.id;
  }
  get dim(): number {
    return this.inner.dim;
  }
  ready(): boolean {
    return this.inner.ready();
  }
  beginStep(): Envelope[] {
    return this.inner.beginStep().map((e) => this.rewrite(e));
  }
  params(): Float32Array {
    return this.inner.params();
  }
  applyGradient(grad: Float32Array): Envelope[] {
    return this.inner.applyGradient(grad).map((e) => this.rewrite(e));
  }
  receive(msg: Message): Envelope[] {
    if (this.spec.kind === 'alie' && MODEL_KINDS.has(msg.kind) && msg.data instanceof Float32Array) {
      const key = `${msg.kind}/${msg.block}`;
      let bySender = this.heard.get(key);
      if (bySender === undefined) this.heard.set(key, (bySender = new Map()));
      bySender.set(msg.from, Float32Array.from(msg.data));
    }
    return this.inner.receive(msg).map((e) => this.rewrite(e));
  }
  model(): Float32Array {
    return this.inner.model();
  }
  setEpoch(epoch: number, neighbours: Parameters<Algorithm['setEpoch']>[1]): Envelope[] {
    return this.inner.setEpoch(epoch, neighbours).map((e) => this.rewrite(e));
  }
  loadModel(x: Float32Array): void {
    this.inner.loadModel(x);
  }
  stats() {
    return this.inner.stats();
  }

  private rewrite(e: Envelope): Envelope {
    const m = e.msg;
    const isModel = MODEL_KINDS.has(m.kind);
    if (!isModel && !TRACKER_KINDS.has(m.kind)) return e;
    const only = this.spec.payloads ?? 'both';
    if ((only === 'model' && !isModel) || (only === 'tracker' && isModel)) return e;
    if (!(m.data instanceof Float32Array || m.data instanceof Float64Array)) return e;
    const data = this.attack(m, m.data, isModel);
    return data === m.data ? e : { ...e, msg: { ...m, data } };
  }

  /**
   * alie: the newest honest models of this block. Frames that arrived as plain float32 are kept as
   * they came; R-FAST's compact v frames (f16 deltas against a base) only the inner R-FAST can
   * decode, so its held copies are read instead.
   */
  private heardModels(m: Message, n: number): ReadonlyMap<PeerId, ArrayLike<number>> | undefined {
    // Only the held copies: inspect() would copy every running sum for each frame sent.
    const pulled = (this.inner as { heldCopies?: () => ReadonlyMap<PeerId, Float32Array> }).heldCopies?.();
    if (m.kind === MsgKind.RfastV && pulled !== undefined && pulled.size > 0) {
      return new Map([...pulled].map(([j, v]) => [j, v.subarray(m.offset, m.offset + n)] as const));
    }
    return this.heard.get(`${m.kind}/${m.block}`);
  }

  private attack(m: Message, src: Float, isModel: boolean): Float {
    const s = this.spec;
    // A copy always: the inner algorithm's payload is a view of its own state.
    const out = src instanceof Float32Array ? new Float32Array(src.length) : new Float64Array(src.length);
    switch (s.kind) {
      case 'sign-flip':
        for (let i = 0; i < src.length; i++) out[i] = -src[i];
        return out;
      case 'scale': {
        const f = s.scale ?? 1e6;
        for (let i = 0; i < src.length; i++) out[i] = f * src[i];
        return out;
      }
      case 'noise': {
        if (!isModel) return src;
        const sd = s.noiseStd ?? 1;
        for (let i = 0; i < src.length; i++) out[i] = src[i] + sd * this.rng.normal();
        return out;
      }
      case 'alie': {
        const bySender = isModel ? this.heardModels(m, src.length) : undefined;
        if (bySender === undefined || bySender.size < 2) return src;
        const z = s.z ?? 1;
        const k = bySender.size;
        for (let i = 0; i < src.length; i++) {
          let sum = 0;
          let sq = 0;
          for (const v of bySender.values()) {
            const x = i < v.length ? v[i] : 0;
            sum += x;
            sq += x * x;
          }
          const mean = sum / k;
          out[i] = mean - z * Math.sqrt(Math.max(0, sq / k - mean * mean));
        }
        return out;
      }
      case 'replay': {
        const key = `${m.kind}/${m.block}`;
        const held = this.first.get(key);
        if (held === undefined || held.length !== src.length) {
          this.first.set(key, src instanceof Float32Array ? Float32Array.from(src) : Float64Array.from(src));
          return src;
        }
        out.set(held);
        return out;
      }
    }
  }
}
