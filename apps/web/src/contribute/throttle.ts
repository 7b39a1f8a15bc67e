/**
 * Whether the browser is throttling this tab. A hidden tab's timers are held back (Chromium wakes
 * a hidden page's timers about once a second, then once a minute after five minutes), so the
 * probe measures it rather than trusting visibility alone: a short chained timer that fires late.
 */

/** The probe's timer, and how late it must fire to count as throttled. */
export const THROTTLE_PROBE = { periodMs: 250, lateMs: 400 } as const;

export interface ThrottleReading {
  /** document.visibilityState is 'hidden' (another tab in front, or the window minimised). */
  hidden: boolean;
  /** How late the probe's last timer fired, ms (0 when on time). */
  lateMs: number;
}

/** Runs the probe until the returned function is called; `onReading` gets one reading per timer. */
export function startThrottleProbe(onReading: (r: ThrottleReading) => void, now: () => number = () => performance.now()): () => void {
  let stopped = false;
  let due = now() + THROTTLE_PROBE.periodMs;
  let timer: ReturnType<typeof setTimeout>;
  const tick = () => {
    if (stopped) return;
    const t = now();
    onReading({ hidden: typeof document !== 'undefined' && document.visibilityState === 'hidden', lateMs: Math.max(0, t - due) });
    due = t + THROTTLE_PROBE.periodMs;
    timer = setTimeout(tick, THROTTLE_PROBE.periodMs);
  };
  timer = setTimeout(tick, THROTTLE_PROBE.periodMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * What the page tells the volunteer about the background, or null when there is nothing to say.
 * `computeIn` decides whether training goes on at speed (a worker) or slows with the page.
 */
export function backgroundNotice(r: ThrottleReading | null, computeIn: 'page' | 'worker', stepsPerSec: number): string | null {
  if (r === null) return null;
  const throttled = r.lateMs >= THROTTLE_PROBE.lateMs;
  if (!r.hidden && !throttled) return null;
  const what = r.hidden ? 'This tab is in the background' : 'The browser is slowing this tab';
  const timers = throttled ? `: its timers fire ${(r.lateMs / 1000).toFixed(1)} s late` : '';
  return computeIn === 'worker'
    ? `${what}${timers}. Training runs in a separate worker, which the browser does not slow down: ${stepsPerSec.toFixed(1)} steps/s now.`
    : `${what}${timers}. Training runs on this page here (the worker could not start), so it slows down with it: keep this tab in front to contribute at full speed.`;
}
