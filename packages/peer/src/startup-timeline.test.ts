import { describe, expect, it } from 'vitest';
import { StartupTimeline, startupSummary } from './startup-timeline';

describe('StartupTimeline', () => {
  it('marks each stage from start to the first step, then freezes', () => {
    let t = 1000;
    const tl = new StartupTimeline(() => t);
    tl.begin();
    tl.mark('selecting-backend');
    t += 900;
    tl.mark('connecting');
    t += 300;
    tl.mark('timing wasm');
    t += 1250;
    tl.finish();
    t += 5000;
    tl.mark('reconnecting'); // after the first step: not start-up
    tl.finish();
    expect(tl.finished).toBe(true);
    expect(tl.list()).toEqual([
      { what: 'selecting-backend', atMs: 0 },
      { what: 'connecting', atMs: 900 },
      { what: 'timing wasm', atMs: 1200 },
      { what: 'first step', atMs: 2450 },
    ]);
    expect(startupSummary(tl.list())).toBe('selecting-backend 0.90 s · connecting 0.30 s · timing wasm 1.25 s');
  });

  it('starts over on begin and bounds what a looping peer can add', () => {
    let t = 0;
    const tl = new StartupTimeline(() => t);
    tl.begin();
    for (let i = 0; i < 100; i++) tl.mark(`phase ${i}`);
    expect(tl.list()).toHaveLength(24);
    t = 50;
    tl.begin();
    t = 60;
    tl.mark('connecting');
    expect(tl.list()).toEqual([{ what: 'connecting', atMs: 10 }]);
    expect(startupSummary([])).toBe('');
  });
});
