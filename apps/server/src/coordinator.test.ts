import { buildTopology, neighboursOf, type PeerId } from '@starling/core';
import { applyGrowth, applyMembersChange, parseRunConfig, type RunConfigInput } from '@starling/protocol';
import { describe, expect, it } from 'vitest';
import { Coordinator } from './coordinator';

function coordinator(config: RunConfigInput = {}): Coordinator {
  return new Coordinator(parseRunConfig(config));
}

function joinN(c: Coordinator, n: number): PeerId[] {
  const ids: PeerId[] = [];
  for (let i = 0; i < n; i++) {
    const r = c.join();
    if (!r.ok) throw new Error(r.message);
    ids.push(r.peerId);
  }
  return ids;
}

describe('Coordinator', () => {
  it('runs a single peer with no neighbours', () => {
    const c = coordinator();
    const r = c.join();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.epoch).toBe(1);
    expect(r.updates).toEqual([]);
    expect(r.neighbours).toEqual({ rIn: [], rOut: [], cIn: [], cOut: [], undirected: [], members: [r.peerId] });
  });

  it('gives each joiner a new id and the topology over the live members', () => {
    const c = coordinator({ algorithm: 'dpsgd', topology: { kind: 'exponential' } });
    const ids = joinN(c, 4);
    expect(new Set(ids).size).toBe(4);
    const t = buildTopology('exponential', ids, { seed: 1 });
    for (const id of ids) expect(c.neighboursOf(id)).toEqual(neighboursOf(t, id));
  });

  it('announces a join to every live peer, with the new epoch and lists (algorithms that do not grow)', () => {
    const c = coordinator({ algorithm: 'dpsgd', topology: { kind: 'ring' } });
    const before = joinN(c, 3);
    const epochBefore = c.epoch;
    const r = c.join();
    if (!r.ok) throw new Error(r.message);
    expect(r.epoch).toBe(epochBefore + 1);
    expect(r.updates.map((u) => u.peerId).sort()).toEqual(before);
    const t = buildTopology('ring', [...before, r.peerId]);
    for (const u of r.updates) {
      expect(u.epoch).toBe(r.epoch);
      expect(u.neighbours).toEqual(neighboursOf(t, u.peerId));
    }
  });

  it('tells a peer whose edges did not change too, since the member list (and epoch) did', () => {
    const c = coordinator({ topology: { kind: 'star', root: 0 } });
    joinN(c, 3); // root 0, leaves 1 and 2
    const leafBefore = c.neighboursOf(1)!;
    const r = c.join();
    if (!r.ok) throw new Error(r.message);
    const leafUpdate = r.updates.find((u) => u.peerId === 1);
    expect(leafUpdate).toBeDefined();
    expect(leafUpdate!.neighbours.rIn).toEqual(leafBefore.rIn);
    expect(leafUpdate!.neighbours.cOut).toEqual(leafBefore.cOut);
    expect(leafUpdate!.neighbours.members).not.toEqual(leafBefore.members);
  });

  it('rebuilds on leave and never reuses an id', () => {
    const c = coordinator({ algorithm: 'gossip' });
    const [a, b, d] = joinN(c, 3);
    const r = c.leave(b);
    expect(r).not.toBeNull();
    expect(r!.epoch).toBe(4);
    expect(r!.updates.map((u) => u.peerId).sort()).toEqual([a, d]);
    for (const u of r!.updates) expect(u.neighbours.members).toEqual([a, d]);
    expect(c.has(b)).toBe(false);
    expect(c.leave(b)).toBeNull();
    expect(c.leave(12345)).toBeNull();
    const again = c.join();
    expect(again.ok && again.peerId).toBe(d + 1);
  });

  for (const algorithm of ['rfast', 'dpsgd'] as const) {
    it(`handles the last peer leaving (${algorithm})`, () => {
      const c = coordinator({ algorithm });
      const [a] = joinN(c, 1);
      const r = c.leave(a);
      // R-FAST's leave stays in the epoch (nobody is left to tell); D-PSGD's starts one.
      expect(r).toEqual({ epoch: algorithm === 'rfast' ? 1 : 2, updates: [], grown: [] });
      expect(c.members()).toEqual([]);
      const next = c.join();
      expect(next.ok && next.neighbours.members).toEqual([a + 1]);
      expect(c.epoch).toBe(algorithm === 'rfast' ? 2 : 3); // into an empty run: a new epoch
    });
  }

  it('assigns the least-used shard, refilling shards freed by departures', () => {
    const c = coordinator({ shards: { count: 3 } });
    const ids = joinN(c, 4);
    expect(ids.map((id) => c.shardOf(id))).toEqual([0, 1, 2, 0]);
    c.leave(ids[1]);
    const r = c.join();
    expect(r.ok && r.shard).toBe(1);
  });

  it('refuses joins beyond maxPeers and admits again after a leave', () => {
    const c = coordinator({ maxPeers: 2 });
    const [a] = joinN(c, 2);
    const epoch = c.epoch;
    const full = c.join();
    expect(full.ok).toBe(false);
    if (!full.ok) expect(full.code).toBe('run-full');
    expect(c.epoch).toBe(epoch); // a refused join starts no epoch
    expect(c.members()).toHaveLength(2);
    c.leave(a);
    expect(c.join().ok).toBe(true);
  });

  it('uses the configured root only while it is live', () => {
    const c = coordinator({ topology: { kind: 'star', root: 2 } });
    joinN(c, 2); // root 2 not live yet: the topology's own default root
    expect(c.neighboursOf(1)!.rIn).toEqual([0]);
    joinN(c, 1); // peer 2 joins and becomes the root
    expect(c.neighboursOf(0)!.rIn).toEqual([2]);
    expect(c.neighboursOf(2)!.rOut).toEqual([0, 1]);
    c.leave(2);
    expect(c.neighboursOf(1)!.rIn).toEqual([0]);
  });

  for (const algorithm of ['dpsgd', 'rfast'] as const) {
    it(`tells every live peer who joined and left, as a change each peer turns back into the exact member list (${algorithm})`, () => {
      const c = coordinator({ algorithm, topology: { kind: 'exponential' } });
      expect(c.grows).toBe(algorithm === 'rfast');
      // What each peer holds: from its welcome, then every epoch's change and grow, as the peer runtime does.
      const held = new Map<PeerId, { epoch: number; grows: number; members: PeerId[] }>();
      const deliver = (updates: { peerId: PeerId; epoch: number; change: { base: number; added: PeerId[]; removed: PeerId[] } }[]) => {
        expect(updates.map((u) => u.peerId).sort((a, b) => a - b)).toEqual([...held.keys()].sort((a, b) => a - b));
        for (const u of updates) {
          const h = held.get(u.peerId)!;
          const r = applyMembersChange(h.members, h.epoch, u);
          expect(r.kind).toBe('members');
          if (r.kind === 'members') held.set(u.peerId, { epoch: u.epoch, grows: 0, members: r.members });
        }
      };
      const grow = (grown: { peerId: PeerId; epoch: number; seq: number; added: PeerId[]; removed: PeerId[] }[]) => {
        for (const g of grown) {
          const h = held.get(g.peerId)!;
          // Each peer's grows come numbered 1, 2, ... within an epoch, none skipped.
          expect(g.seq).toBe(h.grows + 1);
          const m = applyGrowth(h.members, h.epoch, h.grows, g);
          expect(m.kind).toBe('members');
          if (m.kind === 'members') held.set(g.peerId, { epoch: h.epoch, grows: g.seq, members: m.members });
        }
      };
      const departed = new Set<PeerId>();
      let seed = 7;
      let grew = 0;
      let shrunk = 0;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      for (let i = 0; i < 60; i++) {
        const live = c.members();
        let epoch = true;
        if (live.length > 0 && rand() < 0.35) {
          const gone = live[Math.floor(rand() * live.length)];
          held.delete(gone);
          departed.add(gone);
          const r = c.leave(gone)!;
          // R-FAST: only the leaver's neighbours hear of it, within the epoch.
          if (c.grows) {
            expect(r.updates).toEqual([]);
            expect(r.grown.every((g) => g.removed.length === 1 && g.removed[0] === gone)).toBe(true);
            grow(r.grown);
            epoch = false;
            if (r.grown.length > 0) shrunk++;
          } else deliver(r.updates);
        } else {
          const r = c.join();
          if (!r.ok) throw new Error(r.message);
          if (r.grown.length === 0) deliver(r.updates); // a new epoch: everyone is told
          grow(r.grown);
          expect(r.grown.map((g) => g.peerId)).not.toContain(r.peerId); // its welcome has its lists
          held.set(r.peerId, { epoch: r.epoch, grows: 0, members: r.neighbours.members });
          epoch = r.updates.length > 0 || r.grown.length === 0;
          if (!epoch) grew++;
        }
        for (const [id, h] of held) {
          // After a new epoch every peer holds the exact list. After a change within the epoch, at
          // least itself and its neighbours, none of them departed; a departure far away may still
          // be on its list (only the leaver's neighbours hear of it).
          if (epoch) expect(h.members).toEqual(c.members());
          for (const m of [id, ...c.neighboursOf(id)!.undirected]) expect(h.members).toContain(m);
          for (const m of c.neighboursOf(id)!.undirected) expect(departed.has(m)).toBe(false);
          for (const m of h.members) expect(c.has(m) || departed.has(m)).toBe(true);
        }
      }
      expect(held.size).toBeGreaterThan(3);
      expect(grew > 0).toBe(algorithm === 'rfast');
      expect(shrunk > 0).toBe(algorithm === 'rfast');
    });
  }

  it('R-FAST joins and leaves stay within the epoch: only the peers they touch hear of them', () => {
    const c = coordinator({ algorithm: 'rfast', topology: { kind: 'exponential' } });
    // Four at once into an empty run: one epoch with the named topology.
    for (let i = 0; i < 4; i++) c.admit();
    const first = c.settle()!;
    expect(first.grown).toEqual([]);
    expect(c.epoch).toBe(1);
    const ids = c.members();
    const t = buildTopology('exponential', ids, { seed: 1 });
    for (const id of ids) expect(c.neighboursOf(id)).toEqual(neighboursOf(t, id));
    expect(c.settleGrows()).toBe(true);
    // Then three joins in one batch: no epoch, and news for the attached peers only.
    const before = new Map(ids.map((id) => [id, c.neighboursOf(id)!] as const));
    const joiners = [0, 1, 2].map(() => {
      const a = c.admit();
      if (!a.ok) throw new Error(a.message);
      return a.peerId;
    });
    const r = c.settle()!;
    expect(r.epoch).toBe(1);
    expect(c.epoch).toBe(1);
    expect(r.updates).toEqual([]);
    expect(r.grown.length).toBeGreaterThan(0);
    expect(r.grown.length).toBeLessThanOrEqual(2 * joiners.length);
    for (const g of r.grown) {
      expect(g.epoch).toBe(1);
      expect(g.neighbours).toBe(c.neighboursOf(g.peerId));
      for (const j of g.added) expect(joiners).toContain(j);
      const old = before.get(g.peerId);
      if (old) for (const list of ['rIn', 'rOut', 'cIn', 'cOut'] as const) for (const q of old[list]) expect(g.neighbours[list]).toContain(q);
    }
    const told = new Set(r.grown.map((g) => g.peerId));
    for (const id of ids) if (!told.has(id)) expect(c.neighboursOf(id)).toBe(before.get(id)); // untouched
    for (const j of joiners) expect(c.neighboursOf(j)!.members).toEqual(c.members()); // a joiner's welcome carries the whole list
    // A departure stays in the epoch too: the leaver's neighbours, and only they, get lists without it.
    const around = c.neighboursOf(ids[0])!.undirected;
    const kept = new Map(c.members().map((id) => [id, c.neighboursOf(id)!] as const));
    const gone = c.leave(ids[0])!;
    expect(gone.epoch).toBe(1);
    expect(gone.updates).toEqual([]);
    expect(gone.grown.map((g) => g.peerId).sort((a, b) => a - b)).toEqual(around.slice().sort((a, b) => a - b));
    for (const g of gone.grown) {
      expect(g.removed).toEqual([ids[0]]);
      expect(g.seq).toBe((r.grown.find((x) => x.peerId === g.peerId)?.seq ?? 0) + 1);
      for (const list of ['rIn', 'rOut', 'cIn', 'cOut', 'undirected'] as const) expect(g.neighbours[list]).not.toContain(ids[0]);
    }
    for (const [id, n] of kept) if (id !== ids[0] && !around.includes(id)) expect(c.neighboursOf(id)).toBe(n);
    // An ejection asks for a reset: the named topology again, in a new epoch, for everyone.
    const ejected = c.leave(joiners[0], true)!;
    expect(ejected.epoch).toBe(2);
    expect(ejected.grown).toEqual([]);
    const after = buildTopology('exponential', c.members(), { seed: 1 });
    for (const u of ejected.updates) expect(u.neighbours).toEqual(neighboursOf(after, u.peerId));
    expect(ejected.updates).toHaveLength(c.members().length);
  });

  it('star and tree runs keep an epoch per join, whatever the algorithm', () => {
    expect(coordinator({ algorithm: 'rfast', topology: { kind: 'star' } }).grows).toBe(false);
    expect(coordinator({ algorithm: 'rfast', topology: { kind: 'tree' } }).grows).toBe(false);
    expect(coordinator({ algorithm: 'rfast', topology: { kind: 'kout' } }).grows).toBe(true);
    expect(coordinator({ algorithm: 'allreduce', topology: { kind: 'exponential' } }).grows).toBe(false);
  });
});
