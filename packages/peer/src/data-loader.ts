import { decodeSet, type DecodedSet, type SetExpectation } from '@starling/tasks';
import { PeerError } from './errors';

export type ProgressFn = (loaded: number, total: number | null) => void;

/**
 * Downloads one data payload (a shard or the test set) with progress, then validates it with
 * the hand-checked set format: a truncated or tampered download is an error, not a bad model.
 */
export async function downloadSet(
  url: string,
  expect: SetExpectation,
  onProgress: ProgressFn = () => {},
  fetchFn: typeof fetch = fetch,
): Promise<DecodedSet> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (e) {
    throw new PeerError('data-download-failed', `could not fetch ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new PeerError('data-download-failed', `GET ${url} answered ${res.status} ${res.statusText}`);
  const header = res.headers.get('content-length');
  const total = header ? Number(header) : null;
  const bytes = await readAll(res, total, onProgress);
  try {
    return decodeSet(bytes, expect);
  } catch (e) {
    throw new PeerError('data-download-failed', `the data from ${url} is invalid: ${(e as Error).message}`);
  }
}

async function readAll(res: Response, total: number | null, onProgress: ProgressFn): Promise<Uint8Array> {
  if (!res.body) {
    const buf = new Uint8Array(await res.arrayBuffer());
    onProgress(buf.byteLength, buf.byteLength);
    return buf;
  }
  const reader = res.body.getReader();
  // With a known length, read straight into one buffer instead of concatenating chunks.
  const out = total !== null && Number.isFinite(total) && total > 0 ? new Uint8Array(total) : null;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (out) {
      if (loaded + value.byteLength > out.byteLength) {
        throw new PeerError('data-download-failed', `received more than the announced ${total} bytes`);
      }
      out.set(value, loaded);
    } else {
      chunks.push(value);
    }
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
  if (out) return loaded === out.byteLength ? out : out.subarray(0, loaded);
  const joined = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    joined.set(c, at);
    at += c.byteLength;
  }
  return joined;
}
