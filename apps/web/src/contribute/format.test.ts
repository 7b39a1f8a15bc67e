import { describe, expect, it } from 'vitest';
import { backendLabel, measuredSpeedsText, plannedBackendText, preparingText } from './format';

describe('contribute page wording', () => {
  it('never calls a software adapter a GPU', () => {
    expect(backendLabel('webgl', true)).toMatch(/^CPU, emulating a GPU/);
    expect(backendLabel('webgpu', true)).not.toMatch(/^GPU/);
    expect(backendLabel('webgl', false)).toBe('GPU (WebGL)');
    expect(backendLabel('wasm', true)).toBe('CPU (WebAssembly)');
  });

  it('promises no GPU before anything was measured', () => {
    for (const gpu of [true, false]) expect(plannedBackendText(gpu)).not.toMatch(/run on your GPU/);
  });

  it('lists measured speeds fastest first, and nothing when none were timed', () => {
    expect(measuredSpeedsText([{ name: 'webgl', stepsPerSec: 17.75 }, { name: 'webgpu' }, { name: 'wasm', stepsPerSec: 85 }])).toBe('wasm 85.0, webgl 17.8 steps/s');
    expect(measuredSpeedsText([{ name: 'cpu' }])).toBeNull();
  });

  it('says what a tab waits for until its first step', () => {
    const base = { phase: 'training', steps: 0, activity: null, neighboursOpen: 1, neighboursWanted: 2 };
    expect(preparingText(base)).toContain('1 of 2 neighbour links open');
    expect(preparingText({ ...base, steps: 3 })).toBeNull();
    expect(preparingText({ ...base, phase: 'downloading', activity: "timing webgl on this run's model" })).toBe("timing webgl on this run's model");
  });
});
