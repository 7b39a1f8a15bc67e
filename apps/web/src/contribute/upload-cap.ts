/**
 * The volunteer's upload cap: what the tab may upload, in MB/s as typed (MB = 10^6 bytes, as
 * connection speeds are quoted). Kept in localStorage so the next visit remembers it.
 */

const STORAGE_KEY = 'starling.uploadCapMBps';
/** Below 0.01 MB/s (10 kB/s) a run could not exchange even one model block per second. */
export const MIN_CAP_MBPS = 0.01;
export const MAX_CAP_MBPS = 10_000;

/** Bytes per second for the typed text: null for an empty field (no cap), NaN for anything invalid. */
export function parseUploadCap(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  const mbps = Number(t);
  if (!Number.isFinite(mbps) || mbps < MIN_CAP_MBPS || mbps > MAX_CAP_MBPS) return NaN;
  return Math.round(mbps * 1e6);
}

export function formatRate(bytesPerSec: number | null): string {
  if (bytesPerSec === null) return 'no limit';
  return `${(bytesPerSec / 1e6).toFixed(bytesPerSec < 1e6 ? 2 : 1)} MB/s`;
}

export function loadUploadCapText(): string {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? '';
  } catch {
    return ''; // storage disabled: no remembered cap
  }
}

export function saveUploadCapText(text: string): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, text.trim());
  } catch {
    /* storage disabled: the cap still applies to this visit */
  }
}
