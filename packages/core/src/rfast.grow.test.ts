/**
 * Joins that grow the graph within an epoch (topology-grow.ts, RFast.grow): nobody resets, the
 * conservation law of section 1.4 holds after every event while the attached peers hear of the
 * joiner at different times, and the peers end at the optimum of the new member set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeerId, PeerNeighbours } from './contract';
import { TopologyError } from './errors';
import { RFast } from './rfast';
import type { RfastEncodingName } from './rfast-config';
import { Rng } from './rng';
import { buildTopology, neighbourTable } from './topology';
import { assertCommonRoot } from './topology-check';
import { attachJoiner, tableTopology } from './topology-grow';
import {
  LossyNet,
  PUSH_SHARE_SIZED_FOR,
  addPeerData,
  averageSmoothness,
  makeProblem,
  massImbalance,
  membershipCases,
  optimum,
  relError,
  spawn,
  worstError,
} from './rfast.test-driver';

const DIM = 5;

/** A run on the exponential graph over `ids`, then `joiners` attached one by one (each announced to its attached peers at random times). */
function growRun(o: { seed: number; ids: PeerId[]; joiners: PeerId[]; encoding: RfastEncodingName; loss: number; sendRate: number; warmup: number }) {
  const rng = new Rng(o.seed);
  const all = [...o.ids, ...o.joiners];
  const problem = makeProblem(rng, o.ids, DIM, 4);
  for (const j of o.joiners) addPeerData(problem, rng, j, 4, [3, -3, 3, -3, 3]);
  const lr = (o.sendRate > 0 ? 0.25 : 0.5) / Math.max(averageSmoothness(problem, o.ids), averageSmoothness(problem, all));
  const net = new LossyNet(problem, rng, { loss: o.loss, duplicate: 0.1, sendRate: o.sendRate });
  spawn(net, buildTopology('exponential', o.ids), { lr, blockSize: 2, encoding: o.encoding });
  const table = neighbourTable(buildTopology('exponential', o.ids));
  return { rng, net, table, lr, problem, all };
}

function join(r: ReturnType<typeof growRun>, joiner: PeerId, encoding: RfastEncodingName, check: () => void): PeerId[] {
  const members = [...r.table.keys(), joiner].sort((a, b) => a - b);
  const attached = attachJoiner(r.table, joiner, members);
  const nb = r.table.get(joiner)!;
  const newcomer = new RFast({ id: joiner, x0: new Float32Array(DIM), lr: r.lr, blockSize: 2, epoch: 0, neighbours: nb, encoding, pushShare: PUSH_SHARE_SIZED_FOR });
  newcomer.loadModel(r.net.peers.get(attached[0])!.model());
  r.net.add(newcomer);
  const pending = attached.slice();
  while (pending.length > 0) {
    if (r.rng.next() < 0.05) {
      const id = pending.splice(r.rng.int(pending.length), 1)[0];
      const peer = r.net.peers.get(id)!;
      const before = snapshot(peer);
      peer.grow(r.table.get(id)!);
      // No reset: z, x and every running sum pushed along a kept link are exactly as they were.
      const after = snapshot(peer);
      expect(after.z).toEqual(before.z);
      expect(after.x).toEqual(before.x);
      for (const [k, rho] of before.rho) expect(after.rho.get(k)).toEqual(rho);
      for (const [j, tilde] of before.tilde) expect(after.tilde.get(j)).toEqual(tilde);
      expect(after.rho.get(joiner)).toEqual(new Float64Array(DIM));
    }
    r.net.event();
    check();
  }
  return attached;
}

function snapshot(p: RFast) {
  const s = p.inspect();
  const copy = (m: ReadonlyMap<PeerId, Float64Array>) => new Map([...m].map(([k, v]) => [k, Float64Array.from(v)] as const));
  return { z: Float64Array.from(s.z), x: Float32Array.from(s.x), rho: copy(s.rho), tilde: copy(s.rhoTilde) };
}

describe('R-FAST joins that grow the graph', () => {
  it('attachJoiner adds links both ways to the least-connected peers and keeps a common root', () => {
    const table = neighbourTable(buildTopology('exponential', [0, 1, 2, 3, 4, 5]));
    let members = [...table.keys()];
    for (const j of [6, 7, 8, 9, 10, 11, 12, 13]) {
      const before = new Map(table);
      members = [...members, j];
      const attached = attachJoiner(table, j, members);
      expect(attached).toHaveLength(2);
      for (const p of attached) {
        for (const list of ['rIn', 'rOut', 'cIn', 'cOut'] as const) {
          expect(table.get(p)![list]).toContain(j);
          expect(table.get(j)![list]).toContain(p);
          // nothing was removed, and the list handed out before is untouched
          for (const q of before.get(p)![list]) expect(table.get(p)![list]).toContain(q);
        }
        expect(before.get(p)!.rIn).not.toContain(j);
      }
      for (const [id, n] of before) if (!attached.includes(id)) expect(table.get(id)).toBe(n); // the others are not touched
      // joins go to the least connected
      const least = Math.max(...attached.map((p) => before.get(p)!.undirected.length));
      for (const [id, n] of before) if (!attached.includes(id)) expect(n.undirected.length).toBeGreaterThanOrEqual(least);
      assertCommonRoot(tableTopology(table));
    }
  });

  it('a join into a run of one attaches to that peer; into an empty one, to no one', () => {
    const table = new Map<PeerId, PeerNeighbours>();
    expect(attachJoiner(table, 4, [4])).toEqual([]);
    expect(attachJoiner(table, 9, [4, 9])).toEqual([4]);
    expect(table.get(4)!.cOut).toEqual([9]);
    expect(() => attachJoiner(table, 9, [4, 9])).toThrow(TopologyError);
  });

  it('holds the conservation law after every event while joiners are attached, with every encoding, under loss', () => {
    fc.assert(
      fc.property(
        membershipCases(1, 6),
        (c) => {
          const ids = Array.from({ length: c.n }, (_, i) => 3 * i + 1);
          const joiners = [40, 41, 45];
          const r = growRun({ ...c, ids, joiners, warmup: 0 });
          const check = () => {
            const err = massImbalance(r.net.peers);
            if (!(err < 1e-10)) throw new Error(`mass imbalance ${err}`);
          };
          for (let e = 0; e < 300; e++) {
            r.net.event();
            check();
          }
          for (const j of joiners) join(r, j, c.encoding, check);
          for (let e = 0; e < 300; e++) {
            r.net.event();
            check();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('with the attached peers\' state kept exactly, the run ends at the optimum of the new member set', () => {
    const ids = [2, 3, 5, 8, 11, 13, 17, 19];
    const joiner = 23;
    const r = growRun({ seed: 5, ids, joiners: [joiner], encoding: 'f16-i8', loss: 0.2, sendRate: 0, warmup: 0 });
    for (let e = 0; e < 20_000; e++) r.net.event();
    const untouched = new Map(ids.map((id) => [id, r.net.peers.get(id)!.stats().messagesIn] as const));
    const attached = join(r, joiner, 'f16-i8', () => undefined);
    expect(attached).toHaveLength(2);
    expect(massImbalance(r.net.peers)).toBeLessThan(1e-10);
    for (let e = 0; e < 2_000; e++) r.net.event();
    for (const id of ids) expect(r.net.peers.get(id)!.stats().messagesIn).toBeGreaterThan(untouched.get(id)!); // all kept training
    const xNew = optimum(r.problem, r.all);
    expect(relError(xNew, optimum(r.problem, ids))).toBeGreaterThan(0.05); // the target really moved
    r.net.runUntil(() => worstError(r.net.peers, xNew) < 1e-6, 600_000);
    expect(worstError(r.net.peers, xNew)).toBeLessThan(1e-6);
  });

  it('refuses lists that drop a link without naming the peer as departed (rfast.leave.test.ts)', () => {
    const t = buildTopology('exponential', [0, 1, 2, 3]);
    const table = neighbourTable(t);
    const p = new RFast({ id: 0, x0: new Float32Array(3), lr: 0.1, blockSize: 2, epoch: 0, neighbours: table.get(0)! });
    const nb = table.get(0)!;
    expect(() => p.grow({ ...nb, cOut: nb.cOut.slice(1) })).toThrow(TopologyError);
    expect(() => p.grow({ ...nb, rIn: [...nb.rIn, 9], rOut: [...nb.rOut, 9], cIn: [...nb.cIn, 9], cOut: [...nb.cOut, 9] })).not.toThrow();
  });
});
