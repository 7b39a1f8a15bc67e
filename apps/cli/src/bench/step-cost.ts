/**
 * Cost of one algorithm step without the gradient: beginStep + applyGradient, plus receive() of the
 * messages that step's round brings in (replies and relayed hops included). Peers run in lockstep
 * rounds over an ideal in-memory network; only calls into the algorithms are timed, so copying the
 * payloads in flight (the transport's job) is left out. Eight peers' states and the payloads in
 * flight do not fit in cache together, so every figure here is a cold-cache one.
 */
import {
  buildTopology,
  createAlgorithm,
  neighbourTable,
  Rng,
  type Algorithm,
  type AlgorithmName,
  type Envelope,
  type KernelChoice,
  type Message,
  type SlotSource,
} from '@starling/core';
import { SendScheduler } from '@starling/transport';
import { median } from './stats';

export interface StepCostCase {
  algorithm: AlgorithmName;
  /** Model parameters. */
  dim: number;
  /** Out-degree of the graph (ring + degree-1 random chords); gossip uses it as its fanout. */
  degree: number;
  peers: number;
  /** Coordinates per message block. */
  blockSize: number;
  warmupRounds: number;
  rounds: number;
  /** R-FAST only: which kernels (default 'auto'). */
  kernels?: KernelChoice;
}

export interface StepCost {
  /** Median over measured steps of step + receives; the figure to quote. */
  msPerStep: number;
  /** Medians of the two parts: beginStep + applyGradient, and the round's receive() calls. */
  stepOnlyMs: number;
  receiveMs: number;
  /** Fastest measured step: least disturbed by other load on the machine. */
  msPerStepMin: number;
  /** msPerStep per parameter, in nanoseconds. */
  nsPerParam: number;
  /** Steps measured (summed over peers). */
  steps: number;
  /** Messages received per measured step. */
  messagesPerStep: number;
}

function copyOf(m: Message): Message {
  return { ...m, data: m.data.slice() };
}

export function measureStepCost(c: StepCostCase): StepCost {
  const members = Array.from({ length: c.peers }, (_, i) => i);
  const lists = neighbourTable(buildTopology('kout', members, { k: c.degree - 1, seed: 1 }));
  const x0 = new Float32Array(c.dim);
  const algos: Algorithm[] = members.map((id) =>
    createAlgorithm(c.algorithm, {
      id,
      x0,
      lr: 1e-3,
      blockSize: c.blockSize,
      epoch: 0,
      neighbours: lists.get(id)!,
      seed: 1,
      fanout: c.degree,
      kernels: c.kernels,
    }),
  );
  const rng = new Rng(3);
  const grad = new Float32Array(c.dim);
  for (let i = 0; i < c.dim; i++) grad[i] = 1e-3 * rng.normal();

  /** Time of each peer in the current round: its step plus the receives addressed to it. */
  const spent = new Float64Array(c.peers);
  const spentStep = new Float64Array(c.peers);
  const stepSamples: number[] = [];
  const receiveSamples: number[] = [];
  const stepped = new Uint8Array(c.peers);
  const samples: number[] = [];
  let received = 0;
  const inbox: Envelope[] = [];
  const post = (out: Envelope[]): void => {
    for (const e of out) inbox.push({ to: e.to, reliable: e.reliable, msg: copyOf(e.msg) });
  };

  for (let round = 0; round < c.warmupRounds + c.rounds; round++) {
    const measured = round >= c.warmupRounds;
    stepped.fill(0);
    for (let id = 0; id < algos.length; id++) {
      const a = algos[id];
      if (!a.ready()) continue;
      const t0 = performance.now();
      const first = a.beginStep();
      a.params();
      const second = a.applyGradient(grad);
      // Steps 5-6 of R-FAST happen when links take its slots: here every slot, right away.
      const third = a.slots ? takeAll(a.slots) : [];
      const dt = performance.now() - t0;
      spent[id] += dt;
      spentStep[id] = dt;
      stepped[id] = 1;
      post(first);
      post(second);
      post(third);
    }
    // Deliver until quiet: AllReduce hops and AD-PSGD replies are produced by receive itself.
    while (inbox.length > 0) {
      const batch = inbox.splice(0, inbox.length);
      for (const e of batch) {
        const t0 = performance.now();
        const out = algos[e.to].receive(e.msg);
        spent[e.to] += performance.now() - t0;
        if (measured) received++;
        post(out);
      }
    }
    // A peer that did not step this round carries its receive time into its next step.
    for (let id = 0; id < algos.length; id++) {
      if (stepped[id] === 0) continue;
      if (measured) {
        samples.push(spent[id]);
        stepSamples.push(spentStep[id]);
        receiveSamples.push(spent[id] - spentStep[id]);
      }
      spent[id] = 0;
    }
  }
  if (samples.length === 0) throw new Error(`${c.algorithm}: no peer was ever ready; the round driver cannot measure it`);
  const msPerStep = median(samples);
  return {
    msPerStep,
    stepOnlyMs: median(stepSamples),
    receiveMs: median(receiveSamples),
    msPerStepMin: Math.min(...samples),
    nsPerParam: (msPerStep * 1e6) / c.dim,
    steps: samples.length,
    messagesPerStep: received / samples.length,
  };
}

/** Every pending slot of an algorithm with slots, as a link that always has room would take them. */
export function takeAll(src: SlotSource): Envelope[] {
  const out: Envelope[] = [];
  new SendScheduler({ ready: () => true, send: (e) => out.push({ to: e.to, reliable: e.reliable, msg: copyOf(e.msg) }) }).pump(src);
  return out;
}
