/** Text formatting for the dashboard (numbers, percentages, relative times). */

export const DASH = '—';

/** "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago"; future times read as "just now". */
export function formatRelative(ms: number): string {
  if (!Number.isFinite(ms)) return DASH;
  const s = Math.floor(ms / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** A duration as "45 s", "12 min", "1.5 h". */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return DASH;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  return typeof fraction === 'number' && Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : DASH;
}

export function formatFixed(v: number | null | undefined, digits: number): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : DASH;
}

/** Integers with thousands separators; large ones shortened ("1.2M"). */
export function formatCount(v: number | null | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return DASH;
  if (Math.abs(v) >= 10_000_000) return `${(v / 1_000_000).toFixed(1)}M`;
  return Math.round(v).toLocaleString('en-US');
}

export function formatClock(unixMs: number): string {
  if (!Number.isFinite(unixMs)) return DASH;
  return new Date(unixMs).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}
