/**
 * Where a peer's first seconds go: a mark at each phase (and each backend timed) from `start()` to
 * its first gradient step, so a slow start can be taken apart instead of guessed at (issue 14's
 * target is a first step within 5 s of the click). Frozen after the first step: a later reconnect
 * is not start-up.
 */
export interface StartupMark {
  /** What began at this moment: a phase ('connecting'), 'timing wasm', or 'first step'. */
  what: string;
  /** Milliseconds since `start()`. */
  atMs: number;
}

/** Enough for every phase and every backend timed; a peer that loops between phases stops marking. */
const MAX_MARKS = 24;

export class StartupTimeline {
  private t0 = 0;
  /** Wall-clock time (unix ms) of `begin()`, so a harness can tell the page load from the rest. */
  beganAt: number | null = null;
  private marks: StartupMark[] = [];
  private done = false;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Starts over (a new `start()` of the peer). */
  begin(): void {
    this.t0 = this.now();
    this.beganAt = Date.now();
    this.marks = [];
    this.done = false;
  }

  mark(what: string): void {
    if (this.done || this.marks.length >= MAX_MARKS) return;
    this.marks.push({ what, atMs: Math.round(this.now() - this.t0) });
  }

  /** The first step: the last mark. */
  finish(): void {
    if (this.done) return;
    this.mark('first step');
    this.done = true;
  }

  get finished(): boolean {
    return this.done;
  }

  list(): StartupMark[] {
    return this.marks.map((m) => ({ ...m }));
  }
}

/** "connecting 0.31 s · downloading 0.52 s · ..." : how long each stage lasted, up to the last mark. */
export function startupSummary(marks: readonly StartupMark[]): string {
  const parts: string[] = [];
  for (let i = 0; i + 1 < marks.length; i++) {
    parts.push(`${marks[i].what} ${((marks[i + 1].atMs - marks[i].atMs) / 1000).toFixed(2)} s`);
  }
  return parts.join(' · ');
}
