import { describe, expect, it } from 'vitest';
import type { AlgoStats, Algorithm, Envelope, Message, PeerNeighbours } from '@starling/core';
import { StepLoop, type StepLoopDeps } from './step-loop';

/** A minimal algorithm that records the calls the loop makes. */
class Recorder implements Algorithm {
  readonly name = 'rfast' as const;
  readonly id = 0;
  readonly dim = 3;
  calls: string[] = [];
  readyNow = true;
  x = new Float32Array(3);
  applied: number[][] = [];
  ready(): boolean {
    return this.readyNow;
  }
  beginStep(): Envelope[] {
    this.calls.push('begin');
    return [];
  }
  params(): Float32Array {
    return this.x;
  }
  applyGradient(g: Float32Array): Envelope[] {
    this.calls.push('apply');
    this.applied.push(Array.from(g));
    return [];
  }
  receive(_m: Message): Envelope[] {
    return [];
  }
  model(): Float32Array {
    return this.x;
  }
  setEpoch(_e: number, _n: PeerNeighbours): Envelope[] {
    return [];
  }
  loadModel(x: Float32Array): void {
    this.x.set(x);
  }
  stats(): AlgoStats {
    return { steps: this.applied.length, messagesIn: 0, rejected: 0, stale: 0 };
  }
}

function deps(algo: Recorder, over: Partial<StepLoopDeps>): StepLoopDeps {
  return {
    algorithm: () => algo,
    gradient: async (_x, out) => {
      out.fill(1);
      return 0.5;
    },
    send: () => {},
    now: () => 0,
    waitForWork: () => new Promise((r) => setTimeout(r, 1)),
    idleWaitMs: 1,
    stallMs: 0,
    yieldNow: () => new Promise((r) => setImmediate(r)),
    maxGradientRetries: 3,
    onDiverged: () => {},
    congested: () => false,
    maxPaceMs: 0,
    paceCheckMs: 1,
    ...over,
  };
}

/** A loop whose onStep resolves `stepped` after `n` steps. */
function loopWith(algo: Recorder, over: Partial<StepLoopDeps>, n = 1): { loop: StepLoop; stepped: Promise<void> } {
  let resolve!: () => void;
  const stepped = new Promise<void>((r) => (resolve = r));
  let count = 0;
  const loop = new StepLoop(deps(algo, { ...over, onStep: () => ++count === n && resolve() }));
  return { loop, stepped };
}

describe('step loop', () => {
  it('drives beginStep, params, gradient, applyGradient in that order', async () => {
    const algo = new Recorder();
    const { loop, stepped } = loopWith(algo, {}, 3);
    loop.start();
    await stepped;
    await loop.stop();
    expect(algo.calls.slice(0, 6)).toEqual(['begin', 'apply', 'begin', 'apply', 'begin', 'apply']);
    expect(algo.applied[0]).toEqual([1, 1, 1]);
    expect(loop.counters.lastLoss).toBe(0.5);
  });

  it("a rejoin's new loop goes on counting from the counters it is given", async () => {
    const first = loopWith(new Recorder(), {}, 2);
    first.loop.start();
    await first.stepped;
    await first.loop.stop();
    const before = first.loop.counters.steps;
    const second = loopWith(new Recorder(), { counters: first.loop.counters }, 1);
    second.loop.start();
    await second.stepped;
    await second.loop.stop();
    expect(second.loop.counters.steps).toBeGreaterThan(before);
    expect(second.loop.counters).toBe(first.loop.counters);
  });

  it('does not step while the algorithm is not ready, and counts the wait as blocked', async () => {
    const algo = new Recorder();
    algo.readyNow = false;
    let t = 0;
    let waits = 0;
    const { loop, stepped } = loopWith(algo, {
      now: () => t,
      waitForWork: async () => {
        t += 10;
        if (++waits === 5) algo.readyNow = true;
      },
    });
    loop.start();
    await stepped;
    await loop.stop();
    expect(waits).toBe(5);
    expect(loop.counters.blockedMs).toBe(50);
    expect(algo.calls[0]).toBe('begin');
  });

  it('tells the algorithm it stalled after stallMs of unbroken waiting, sends what it returns, and then steps', async () => {
    const algo = new Recorder();
    algo.readyNow = false;
    const stalledAt: number[] = [];
    let t = 0;
    const sent: Envelope[][] = [];
    const ping = { to: 1 } as unknown as Envelope;
    Object.assign(algo, {
      stalled: () => {
        stalledAt.push(t);
        algo.readyNow = true;
        return [ping];
      },
    });
    const { loop, stepped } = loopWith(algo, {
      now: () => t,
      stallMs: 35,
      send: (out) => sent.push(out),
      waitForWork: async () => {
        t += 10;
      },
    });
    loop.start();
    await stepped;
    await loop.stop();
    // Waits at t = 0, 10, 20, 30 (the first one starts the clock); at 40 the wait is 40 >= 35.
    expect(stalledAt).toEqual([40]);
    expect(sent[0]).toEqual([ping]);
    expect(algo.calls[0]).toBe('begin');
  });

  it('never calls stalled() with stallMs 0, nor counts a paused wait towards it', async () => {
    const algo = new Recorder();
    algo.readyNow = false;
    let calls = 0;
    Object.assign(algo, { stalled: () => (calls++, []) });
    let t = 0;
    let waits = 0;
    const { loop, stepped } = loopWith(algo, {
      now: () => t,
      waitForWork: async () => {
        t += 1000;
        if (++waits === 20) algo.readyNow = true;
      },
    });
    loop.start();
    await stepped;
    await loop.stop();
    expect(calls).toBe(0);
    const paused = new Recorder();
    paused.readyNow = false;
    let pausedCalls = 0;
    Object.assign(paused, { stalled: () => (pausedCalls++, []) });
    let u = 0;
    let pw = 0;
    const p = loopWith(paused, {
      now: () => u,
      stallMs: 50,
      waitForWork: async () => {
        u += 10;
        pw++;
        if (pw === 3) p.loop.setPaused(true); // waited 20 ms so far
        if (pw === 30) p.loop.setPaused(false); // paused for 270 ms: not a stall
        if (pw === 33) paused.readyNow = true; // 20 ms of waiting since the pause
      },
    });
    p.loop.start();
    await p.stepped;
    await p.loop.stop();
    expect(pausedCalls).toBe(0);
  });

  it('never applies a non-finite gradient: it retries with fresh minibatches', async () => {
    const algo = new Recorder();
    let calls = 0;
    const { loop, stepped } = loopWith(algo, {
      gradient: async (_x, out) => {
        calls++;
        out.fill(calls < 3 ? NaN : 2);
        return 1;
      },
    });
    loop.start();
    await stepped;
    await loop.stop();
    expect(algo.applied[0]).toEqual([2, 2, 2]);
    expect(loop.counters.discardedSteps).toBe(2);
  });

  it('stops as diverged when every retry stays non-finite, having applied nothing', async () => {
    const algo = new Recorder();
    let tries = 0;
    const diverged = new Promise<void>((resolve) => {
      const loop = new StepLoop(deps(algo, {
        gradient: async (_x, out) => {
          out.fill(Infinity);
          return 1;
        },
        onDiverged: (n) => {
          tries = n;
          resolve();
        },
      }));
      loop.start();
    });
    await diverged;
    expect(tries).toBe(3);
    expect(algo.applied).toEqual([]);
    expect(algo.calls).toEqual(['begin']);
  });

  it('pausing stops stepping until resumed', async () => {
    const algo = new Recorder();
    let waits = 0;
    let loopRef!: StepLoop;
    const { loop, stepped } = loopWith(algo, {
      waitForWork: async () => {
        if (++waits === 20) loopRef.setPaused(false);
      },
    });
    loopRef = loop;
    loop.setPaused(true);
    loop.start();
    await stepped;
    await loop.stop();
    expect(waits).toBe(20);
    expect(algo.applied.length).toBeGreaterThan(0);
  });

  it('paces to its own uplink: waits while congested, but never longer than maxPaceMs', async () => {
    const algo = new Recorder();
    let t = 0;
    let checks = 0;
    const { loop, stepped } = loopWith(algo, {
      now: () => t,
      waitForWork: async (ms) => {
        t += ms;
      },
      congested: () => ++checks <= 3, // drains after three checks
      maxPaceMs: 100,
      paceCheckMs: 5,
    });
    loop.start();
    await stepped;
    await loop.stop();
    expect(loop.counters.pacedMs).toBe(15);

    const stuck = new Recorder();
    let t2 = 0;
    const l2 = loopWith(stuck, { now: () => t2, waitForWork: async (ms) => { t2 += ms; }, congested: () => true, maxPaceMs: 40, paceCheckMs: 5 });
    l2.loop.start();
    await l2.stepped;
    await l2.loop.stop();
    expect(l2.loop.counters.pacedMs).toBe(40); // a never-draining channel delays a step, never stops it
    expect(stuck.applied.length).toBeGreaterThan(0);
  });
});
