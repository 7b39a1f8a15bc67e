/**
 * Reading the figures off a measured curve: time to reach a target, value at a time budget, and
 * ratios to a reference algorithm. Pure functions over plain arrays.
 */
import { BenchError } from './errors';

/** Test accuracy of the average model against virtual time, one point per record. */
export interface Curve {
  /** Virtual seconds, ascending. */
  time: number[];
  accuracy: number[];
  /** Test loss (cross-entropy) at the same points. */
  loss: number[];
}

function checkCurve(time: readonly number[], value: readonly number[]): void {
  if (time.length !== value.length) throw new BenchError(`curve has ${time.length} times but ${value.length} values`);
  for (let i = 1; i < time.length; i++) {
    if (!(time[i] >= time[i - 1])) throw new BenchError(`curve times must be ascending; time[${i}] = ${time[i]} after ${time[i - 1]}`);
  }
}

/**
 * First time the value reaches `target`, interpolated linearly between the last point below it and
 * the first point at or above it; null if it never does. A curve that starts at or above the
 * target reaches it at its first time.
 */
export function timeToTarget(time: readonly number[], value: readonly number[], target: number): number | null {
  checkCurve(time, value);
  for (let i = 0; i < time.length; i++) {
    if (!(value[i] >= target)) continue;
    if (i === 0) return time[0];
    const v0 = value[i - 1];
    const v1 = value[i];
    // v0 is below the target (or NaN, if evaluation failed there): no interpolation then.
    if (!(v0 < target) || v1 === v0) return time[i];
    return time[i - 1] + ((target - v0) / (v1 - v0)) * (time[i] - time[i - 1]);
  }
  return null;
}

/** Value of the last point at or before `t` (records are samples, not a continuous signal); NaN before the first point. */
export function valueAt(time: readonly number[], value: readonly number[], t: number): number {
  checkCurve(time, value);
  // Record times are sums of an interval: allow round-off below t.
  const limit = t + 1e-9 * Math.max(1, Math.abs(t));
  let out = Number.NaN;
  for (let i = 0; i < time.length && time[i] <= limit; i++) out = value[i];
  return out;
}

/**
 * A ratio of times to target against the reference's. When one side missed the target within the
 * time it ran (its horizon), the ratio is a bound: at least horizon / ref when the algorithm
 * missed, at most t / refHorizon when the reference did; when both missed there is none.
 */
export interface Ratio {
  value: number;
  bound: 'exact' | 'atLeast' | 'atMost';
}

export function timeRatio(t: number | null, horizon: number, ref: number | null, refHorizon: number): Ratio | null {
  if (ref !== null && !(ref > 0)) return null;
  if (t !== null && ref !== null) return { value: t / ref, bound: 'exact' };
  if (t === null && ref !== null) return { value: horizon / ref, bound: 'atLeast' };
  if (t !== null && refHorizon > 0) return { value: t / refHorizon, bound: 'atMost' };
  return null;
}

/** Ratio formatted for a table: "1.73x", ">= 3.1x", "<= 0.2x", or "-" without one. */
export function formatRatio(r: Ratio | null, digits = 2): string {
  if (r === null) return '-';
  const prefix = r.bound === 'atLeast' ? '>= ' : r.bound === 'atMost' ? '<= ' : '';
  return `${prefix}${r.value.toFixed(digits)}x`;
}

/** One scored copy of one member's model (a tab, a peer), taken at `at`. */
export interface MemberSample {
  member: number;
  at: number;
  value: number;
}

/**
 * First time every member's latest sample so far is at least the target: members sampled each on
 * its own clock (a busy browser tab is read more slowly than an idle one), not in rounds. Samples
 * with a value that is not a number (NaN) count as below the target. null: never, or a member
 * never sampled.
 */
export function jointTimeToTarget(samples: readonly MemberSample[], members: number, target: number): number | null {
  if (members <= 0) return null;
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const latest = new Float64Array(members).fill(Number.NaN);
  let atTarget = 0;
  for (const s of sorted) {
    checkMember(s, members);
    const was = latest[s.member] >= target;
    latest[s.member] = s.value;
    const is = s.value >= target;
    atTarget += (is ? 1 : 0) - (was ? 1 : 0);
    if (atTarget === members) return s.at;
  }
  return null;
}

/** Per member, the time of its first sample at or above the target; null where none is. */
export function memberTimesToTarget(samples: readonly MemberSample[], members: number, target: number): (number | null)[] {
  const out: (number | null)[] = new Array(members).fill(null);
  for (const s of samples) {
    checkMember(s, members);
    if (s.value >= target && (out[s.member] === null || s.at < (out[s.member] as number))) out[s.member] = s.at;
  }
  return out;
}

function checkMember(s: MemberSample, members: number): void {
  if (!Number.isInteger(s.member) || s.member < 0 || s.member >= members) throw new BenchError(`sample of member ${s.member}, expected 0..${members - 1}`);
}
