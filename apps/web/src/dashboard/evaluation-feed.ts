import { mergeEvaluations } from './evaluations';
import type { Evaluation } from './types';

/**
 * The current run's server evaluations, whatever order the REST answers and socket events arrive in.
 *
 * An evaluation reaches the page in GET evaluations if it was stored before that request was
 * answered, or as a socket event if it was broadcast after the socket joined as an observer. Between
 * the two there was a gap: one stored after the GET was answered but broadcast before the socket's
 * `hello` had been handled reached neither. The dashboard then never listed it (e2e/hostile.spec.ts
 * failed so in fresh-clone CI twice: the server was busy loading its model runtime, and the socket
 * took half a second longer to join than the REST history took to load). So the list is fetched
 * again every time the socket joins, which also covers what a reconnect missed, and live events are
 * kept for the run the socket announced even before GET /api/run has answered.
 */
export class EvaluationFeed {
  private items: Evaluation[] = [];
  /** The run GET /api/run named; it wins over the socket's when both are known. */
  private loadedRun: string | null = null;
  /** The run the socket's latest `observing` named. */
  private liveRun: string | null = null;

  constructor(private readonly cap: number) {}

  /** Sorted by time, de-duplicated, only the current run's. */
  get list(): readonly Evaluation[] {
    return this.items;
  }

  /** The run whose evaluations are kept, once either the REST API or the socket has named one. */
  get runId(): string | null {
    return this.loadedRun ?? this.liveRun;
  }

  /** GET /api/run answered: another run's evaluations go. */
  loaded(runId: string): void {
    this.loadedRun = runId;
    this.items = this.items.filter((e) => e.runId === runId);
  }

  /**
   * The socket joined (or rejoined) as an observer of `runId`. True when the evaluations of that
   * run must be fetched now: those stored before this join were broadcast to no socket of ours.
   */
  observing(runId: string): boolean {
    this.liveRun = runId;
    return this.runId === runId;
  }

  /** A GET evaluations answer for `runId`; ignored if the page has moved to another run since. */
  fetched(runId: string, list: readonly Evaluation[]): boolean {
    if (runId !== this.runId) return false;
    return this.add(list.filter((e) => e.runId === runId));
  }

  /** An `evaluation` socket event; another run's is ignored. */
  live(e: Evaluation): boolean {
    if (e.runId !== this.runId) return false;
    return this.add([e]);
  }

  private add(incoming: readonly Evaluation[]): boolean {
    const next = mergeEvaluations(this.items, incoming, this.cap);
    const changed = next.length !== this.items.length || next.some((e, i) => e !== this.items[i]);
    this.items = next;
    return changed;
  }
}
