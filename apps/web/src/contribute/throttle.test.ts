import { afterEach, describe, expect, it, vi } from 'vitest';
import { backgroundNotice, startThrottleProbe, THROTTLE_PROBE, type ThrottleReading } from './throttle';

describe('backgroundNotice', () => {
  it('says nothing for a visible tab whose timers are on time', () => {
    expect(backgroundNotice({ hidden: false, lateMs: 5 }, 'worker', 3)).toBeNull();
    expect(backgroundNotice(null, 'page', 3)).toBeNull();
  });

  it('tells a worker-backed volunteer that training goes on, with the speed and how late timers are', () => {
    const text = backgroundNotice({ hidden: true, lateMs: 750 }, 'worker', 4.26)!;
    expect(text).toMatch(/^This tab is in the background: its timers fire 0\.8 s late\./);
    expect(text).toMatch(/worker.*4\.3 steps\/s now/);
  });

  it('tells a volunteer training on the page to keep the tab in front', () => {
    expect(backgroundNotice({ hidden: false, lateMs: THROTTLE_PROBE.lateMs }, 'page', 1)).toMatch(/^The browser is slowing this tab.*keep this tab in front/);
    expect(backgroundNotice({ hidden: true, lateMs: 0 }, 'page', 1)).toMatch(/^This tab is in the background\. Training runs on this page/);
  });
});

describe('startThrottleProbe', () => {
  afterEach(() => vi.useRealTimers());

  it('reports how late each timer fired, and stops when asked', () => {
    vi.useFakeTimers();
    let clock = 0;
    const readings: ThrottleReading[] = [];
    const stop = startThrottleProbe((r) => readings.push(r), () => clock);
    clock = THROTTLE_PROBE.periodMs;
    vi.advanceTimersByTime(THROTTLE_PROBE.periodMs);
    clock += THROTTLE_PROBE.periodMs + 900; // the browser held the second timer back
    vi.advanceTimersByTime(THROTTLE_PROBE.periodMs);
    expect(readings.map((r) => r.lateMs)).toEqual([0, 900]);
    stop();
    vi.advanceTimersByTime(10 * THROTTLE_PROBE.periodMs);
    expect(readings).toHaveLength(2);
  });
});
