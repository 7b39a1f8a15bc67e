import { buildTopology, neighboursOf, type PeerId } from '@starling/core';
import { applyMembersChange, parseRunConfig, type RunConfigInput } from '@starling/protocol';
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
    const c = coordinator({ topology: { kind: 'exponential' } });
    const ids = joinN(c, 4);
    expect(new Set(ids).size).toBe(4);
    const t = buildTopology('exponential', ids, { seed: 1 });
    for (const id of ids) expect(c.neighboursOf(id)).toEqual(neighboursOf(t, id));
  });

  it('announces a join to every live peer, with the new epoch and lists', () => {
    const c = coordinator({ topology: { kind: 'ring' } });
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
    const c = coordinator();
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

  it('handles the last peer leaving', () => {
    const c = coordinator();
    const [a] = joinN(c, 1);
    const r = c.leave(a);
    expect(r).toEqual({ epoch: 2, updates: [] });
    expect(c.members()).toEqual([]);
    const next = c.join();
    expect(next.ok && next.neighbours.members).toEqual([a + 1]);
  });

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

  it('tells every live peer who joined and left, as a change each peer turns back into the exact member list', () => {
    const c = coordinator({ topology: { kind: 'exponential' } });
    // What each peer holds: from its welcome, then every epoch's change, as the peer runtime does.
    const held = new Map<PeerId, { epoch: number; members: PeerId[] }>();
    const deliver = (updates: { peerId: PeerId; epoch: number; change: { base: number; added: PeerId[]; removed: PeerId[] } }[]) => {
      expect(updates.map((u) => u.peerId).sort((a, b) => a - b)).toEqual([...held.keys()].sort((a, b) => a - b));
      for (const u of updates) {
        const h = held.get(u.peerId)!;
        const r = applyMembersChange(h.members, h.epoch, u);
        expect(r.kind).toBe('members');
        if (r.kind === 'members') held.set(u.peerId, { epoch: u.epoch, members: r.members });
      }
    };
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 60; i++) {
      const live = c.members();
      if (live.length > 0 && rand() < 0.35) {
        const gone = live[Math.floor(rand() * live.length)];
        held.delete(gone);
        deliver(c.leave(gone)!.updates);
      } else {
        const r = c.join();
        if (!r.ok) throw new Error(r.message);
        deliver(r.updates);
        held.set(r.peerId, { epoch: r.epoch, members: r.neighbours.members });
      }
      for (const h of held.values()) expect(h.members).toEqual(c.members());
    }
    expect(held.size).toBeGreaterThan(3);
  });
});
