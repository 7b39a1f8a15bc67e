import { describe, expect, it } from 'vitest';
import { AdPsgd } from './adpsgd';
import { MsgKind, type Algorithm } from './contract';
import {
  LR, Network, baselineMaker, feedInvalid, leastSquares, makePeers, malformed, massDrift, neighbourhood, worstError,
} from './baseline.test-driver';

// robust 'off': these tests check the exact recursion; clipping has its own (robust-clip.test.ts, sim attacks.test.ts).
const make = (blockSize: number, seed = 1) => baselineMaker(AdPsgd, blockSize, { seed, robust: 'off' });

/** Pairwise averaging must keep the sum of all models at sum x0 - lr * sum g. */
const conservationError = (peers: Algorithm[], net: Network): number => massDrift(peers.map((p) => p.model()), net);

describe('AdPsgd', () => {
  it('converges on an IID problem with several blocks per model', () => {
    const members = [0, 1, 2, 3, 4, 5];
    const problem = leastSquares({ n: 6, dim: 12, rows: 36, seed: 31, iid: true });
    const peers = makePeers(members, make(5), problem.dim);
    new Network(peers, problem, { seed: 2, speeds: [1, 2, 1, 0.5, 1, 3] }).run(300);
    expect(worstError(peers, problem.xStar!)).toBeLessThan(1e-3);
  });

  it('alternates colours on a bipartite ring and falls back where the graph is not bipartite', () => {
    const ring6 = makePeers([0, 1, 2, 3, 4, 5], make(5), 4);
    expect(ring6.map((p) => p.isActive)).toEqual([true, false, true, false, true, false]);
    // Triangle 1-3-5 hangs off 0: peers 3 and 5 (odd positions) only have odd neighbours.
    const members = [0, 1, 2, 3, 4, 5];
    const und: Record<number, number[]> = { 0: [1, 2, 4], 1: [0, 3, 5], 2: [0], 3: [1, 5], 4: [0], 5: [1, 3] };
    const active = members.map((id) => {
      const u = und[id];
      const nb = { rIn: u, rOut: u, cIn: u, cOut: u, undirected: u, members };
      return new AdPsgd({ id, x0: new Float32Array(4), lr: LR, blockSize: 2, epoch: 0, neighbours: nb }).isActive;
    });
    expect(active).toEqual([true, false, true, true, true, true]);
  });

  it('averages a pair exactly and applies the gradient only after the reply', () => {
    const members = [0, 1];
    const [a, p] = makePeers(members, make(3), 7);
    const xa = Float32Array.from([1, 2, 3, 4, 5, 6, 7]);
    const xp = Float32Array.from([7, 5, 3, 1, -1, -3, -5]);
    a.loadModel(xa);
    p.loadModel(xp);
    const requests = a.beginStep();
    expect(requests.map((e) => [e.to, e.msg.kind, e.msg.block])).toEqual([
      [1, MsgKind.AdRequest, 0],
      [1, MsgKind.AdRequest, 1],
      [1, MsgKind.AdRequest, 2],
    ]);
    expect(a.params()).toEqual(xa);
    const g = Float32Array.from([1, 1, 1, 1, 1, 1, 1]);
    expect(a.applyGradient(g)).toEqual([]);
    expect(a.ready()).toBe(false);
    expect(a.model()).toEqual(xa); // held until the averaging is done
    const replies = requests.flatMap((e) => p.receive({ ...e.msg, data: e.msg.data.slice() }).map((r) => ({ ...r.msg, data: r.msg.data.slice() })));
    expect(replies.map((m) => m.kind)).toEqual([MsgKind.AdReply, MsgKind.AdReply, MsgKind.AdReply]);
    const mean = xa.map((v, i) => (v + xp[i]) / 2);
    expect(p.model()).toEqual(mean);
    for (const m of replies.slice(0, 2)) a.receive(m);
    expect(a.ready()).toBe(false);
    a.receive(replies[2]);
    expect(a.ready()).toBe(true);
    expect(a.model()).toEqual(mean.map((v) => v - LR));
  });

  for (const [label, graph, n] of [
    ['bipartite ring', 'ring', 6],
    ['odd ring (not bipartite)', 'ring', 5],
    ['complete graph', 'complete', 5],
  ] as const) {
    it(`conserves the sum of models under uneven interleavings: ${label}`, () => {
      const members = Array.from({ length: n }, (_, i) => i);
      const problem = leastSquares({ n, dim: 12, rows: 36, seed: 37, iid: false });
      const peers = makePeers(members, make(5, 9), problem.dim, graph);
      const net = new Network(peers, problem, { seed: 12, speeds: [4, 1, 0.3, 2, 1, 1] });
      net.run(60);
      expect(net.queued()).toBe(0);
      expect(conservationError(peers, net)).toBeLessThan(1e-5);
    });
  }

  it('with robust mixing, a request that repeats the requester\'s previous model is counted as frozen (a replay)', () => {
    const [a, p] = makePeers([0, 1], baselineMaker(AdPsgd, 3, { seed: 1, robust: 'clip' }), 7);
    a.loadModel(Float32Array.from([1, 2, 3, 4, 5, 6, 7]));
    p.loadModel(Float32Array.from([7, 5, 3, 1, -1, -3, -5]));
    const exchange = () => {
      const requests = a.beginStep().map((e) => ({ ...e.msg, data: e.msg.data.slice() }));
      const replies = requests.flatMap((m) => p.receive(m).map((r) => ({ ...r.msg, data: r.msg.data.slice() })));
      a.applyGradient(Float32Array.from([1, -1, 0.5, 0.25, 1, -1, 0.5]));
      for (const r of replies) a.receive(r);
      return requests;
    };
    const first = exchange();
    exchange(); // an honest requester: it stepped in between, so nothing is frozen
    expect(p.senderEvidence().get(0)).toMatchObject({ frozen: 0 });
    // A hostile requester sends its first model again and again under new request ids: from the
    // second replay on, each equals its previous request.
    for (const k of [2, 3]) for (const m of first) p.receive({ ...m, aux: m.aux + k, seq: m.seq + k });
    expect(p.senderEvidence().get(0)).toMatchObject({ frozen: first.length });
  });

  it('rejects malformed requests and replies without touching its state', () => {
    const members = [0, 1, 2, 3];
    const problem = leastSquares({ n: 4, dim: 12, rows: 36, seed: 41, iid: false });
    const peers = makePeers(members, make(5), problem.dim);
    const net = new Network(peers, problem, { seed: 4 });
    net.run(3);
    const envs = net.takeStep(0);
    const request = envs[0].msg;
    const target = envs[0].to;
    const passive = peers[members.indexOf(target)];
    const onRequest = feedInvalid(passive, [
      ...malformed(request),
      ['member that is not a neighbour', { ...request, from: target === 1 ? 3 : 1 }],
      ['request id 0', { ...request, aux: 0 }],
      ['fractional request id', { ...request, aux: 1.5 }],
      ['reply nobody asked for', { ...request, kind: MsgKind.AdReply }],
    ]);
    expect(onRequest.notRejected).toEqual([]);
    expect(onRequest.modelChanged).toBe(false);
    const replies = net.inject(target, request);
    expect(replies).toHaveLength(1);
    const reply = replies[0].msg;
    // Replies that are not for the open request change nothing, whatever their content.
    const notOurs = feedInvalid(peers[0], [
      ...malformed({ ...reply, aux: reply.aux + 1 }),
      ['reply from a peer not asked', { ...reply, from: target === 1 ? 3 : 1 }],
      ['wrong request id', { ...reply, aux: reply.aux + 1 }],
    ]);
    expect(notOurs.notRejected).toEqual([]);
    expect(notOurs.modelChanged).toBe(false);
    expect(peers[0].ready()).toBe(false); // still waiting for its passive peer
    expect(peers[0].receive(reply)).toEqual([]);
    expect(peers[0].receive(reply)).toEqual([]); // the same block twice
    expect(peers[0].stats().rejected).toBe(malformed(reply).length + 3);
    net.post(0, envs.slice(1));
    net.run(20);
    expect(conservationError(peers, net)).toBeLessThan(1e-5);
  });

  it('a reply to its open request that it refuses ends the request, so a hostile passive peer cannot stall it', () => {
    for (const [label, bad] of [
      ['finite but huge', 1e30],
      ['NaN', NaN],
    ] as const) {
      const [a, p] = makePeers([0, 1], baselineMaker(AdPsgd, 3, { seed: 1, robust: 'clip' }), 7);
      a.loadModel(Float32Array.from([1, 2, 3, 4, 5, 6, 7]));
      p.loadModel(Float32Array.from([7, 5, 3, 1, -1, -3, -5]));
      const requests = a.beginStep().map((e) => ({ ...e.msg, data: e.msg.data.slice() }));
      const replies = requests.flatMap((m) => p.receive(m).map((r) => ({ ...r.msg, data: r.msg.data.slice() })));
      a.applyGradient(new Float32Array(7).fill(1));
      a.receive(replies[0]);
      const averaged = Float32Array.from(a.model());
      expect(a.ready(), label).toBe(false);
      const poisoned = Float32Array.from(replies[1].data as Float32Array);
      poisoned[0] = bad;
      const r0 = a.stats().rejected;
      a.receive({ ...replies[1], data: poisoned });
      expect(a.stats().rejected, label).toBe(r0 + 1);
      expect(a.ready(), label).toBe(true); // it can step again
      // The held gradient is applied; nothing of the refused reply is mixed in.
      expect(Array.from(a.model()), label).toEqual(Array.from(averaged, (v) => Math.fround(v - LR)));
      expect(a.receive(replies[2]), label).toEqual([]); // late replies of the ended request are refused
      expect(a.stats().rejected, label).toBe(r0 + 2);
    }
  });

  it('stalled() ends an exchange whose passive peer went silent, applies the held gradient, and skips that peer for a while', () => {
    const members = [0, 1, 2, 3, 4, 5];
    const peers = makePeers(members, make(4), 8); // ring: peer 0 is active and asks 1 or 5
    const a = peers[0];
    const others = new Map(peers.map((p) => [p.id, p]));
    expect(a.stalled()).toEqual([]); // nothing open: nothing to give up
    const first = a.beginStep();
    const silent = first[0].to;
    const x = Float32Array.from(a.model());
    a.applyGradient(new Float32Array(8).fill(1));
    expect(a.ready()).toBe(false);
    expect(a.stalled()).toEqual([]);
    expect(a.ready()).toBe(true);
    expect(Array.from(a.model())).toEqual(Array.from(x, (v) => Math.fround(v - LR)));
    expect(a.stats().stalled).toBe(1);
    // The next adpsgdSilentSkipRounds x 2 candidates requests go to the other candidate, answered.
    const targets: number[] = [];
    for (let k = 0; k < 8 + 12; k++) {
      const reqs = a.beginStep();
      const to = reqs[0].to;
      targets.push(to);
      for (const r of reqs) for (const reply of others.get(to)!.receive(r.msg)) a.receive(reply.msg);
      a.applyGradient(new Float32Array(8));
      expect(a.ready()).toBe(true);
    }
    expect(targets.slice(0, 8).every((t) => t !== silent)).toBe(true);
    expect(targets.slice(8)).toContain(silent); // then it is asked again (it may have been only slow)
  });

  it('a peer that stays silent is asked ever more rarely: the skip doubles with each stall in a row', () => {
    const members = [0, 1, 2, 3, 4, 5];
    const peers = makePeers(members, make(4), 8);
    const a = peers[0];
    const silent = 1;
    const answering = peers[5];
    const gaps: number[] = [];
    let since = 0;
    for (let k = 0; k < 400 && gaps.length < 4; k++) {
      const reqs = a.beginStep();
      if (reqs[0].to === silent) {
        if (k > 0 && a.stats().stalled !== undefined) gaps.push(since);
        since = 0;
        a.applyGradient(new Float32Array(8));
        a.stalled();
      } else {
        since++;
        for (const r of reqs) for (const reply of answering.receive(r.msg)) a.receive(reply.msg);
        a.applyGradient(new Float32Array(8));
      }
    }
    // 4 rounds x 2 candidates = 8 requests to the other one between the first two stalls, then 16, 32, 64.
    expect(gaps.length).toBe(4);
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(8 * 2 ** i));
    expect(a.stats().stalled).toBe(5);
  });

  it('holds a request of an epoch it has not entered yet and answers it on setEpoch', () => {
    const [a, p] = makePeers([0, 1], make(3), 7);
    const xa = Float32Array.from([1, 2, 3, 4, 5, 6, 7]);
    const xp = Float32Array.from([7, 5, 3, 1, -1, -3, -5]);
    a.loadModel(xa);
    p.loadModel(xp);
    const nb = neighbourhood([0, 1]);
    expect(a.setEpoch(1, nb.get(0)!)).toEqual([]);
    const requests = a.beginStep().map((e) => ({ ...e.msg, data: e.msg.data.slice() }));
    for (const m of requests) expect(p.receive(m)).toEqual([]); // p is still in epoch 0
    expect(p.stats()).toMatchObject({ messagesIn: 3, rejected: 0 });
    expect(p.model()).toEqual(xp);
    const replies = p.setEpoch(1, nb.get(1)!);
    expect(replies.map((e) => [e.to, e.msg.kind, e.msg.epoch, e.msg.block])).toEqual([
      [0, MsgKind.AdReply, 1, 0],
      [0, MsgKind.AdReply, 1, 1],
      [0, MsgKind.AdReply, 1, 2],
    ]);
    expect(replies.flatMap((e) => Array.from(e.msg.data))).toEqual(Array.from(xp)); // each its own pre-averaging block
    for (const e of replies) a.receive(e.msg);
    const mean = xa.map((v, i) => (v + xp[i]) / 2);
    expect(a.model()).toEqual(mean);
    expect(p.model()).toEqual(mean);
  });

  it('cancels an open request when its passive peer leaves, without deadlock', () => {
    const members = [0, 1, 2, 3, 4, 5];
    const problem = leastSquares({ n: 6, dim: 12, rows: 36, seed: 43, iid: true });
    const peers = makePeers(members, make(5), problem.dim);
    const net = new Network(peers, problem, { seed: 7 });
    net.run(5);
    const envs = net.takeStep(0); // peer 0 asks peer 1 or 5, whose answer will never come
    const gone = envs[0].to;
    expect(peers[0].ready()).toBe(false);
    const rest = members.filter((id) => id !== gone);
    net.changeEpoch(1, [gone], neighbourhood(rest));
    net.run(300);
    expect(peers[0].ready()).toBe(true);
    expect(worstError(net.peers, problem.xStar!)).toBeLessThan(1e-3);
  });
});
