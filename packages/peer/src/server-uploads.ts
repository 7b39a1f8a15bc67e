import { PeerError } from './errors';

/**
 * HTTP exchanges of model vectors with the server: the snapshot a peer uploads for the server's
 * own evaluation, and the run's latest checkpoint a joiner may start from. Bodies are raw
 * little-endian float32, the same layout as the flat parameter vector.
 */
export async function uploadSnapshot(
  url: string, peerId: number, token: string, steps: number, model: Float32Array, fetchFn: typeof fetch = fetch,
): Promise<void> {
  const res = await fetchFn(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      'x-starling-peer': String(peerId),
      'x-starling-token': token,
      'x-starling-steps': String(steps),
    },
    body: new Uint8Array(model.buffer, model.byteOffset, model.byteLength).slice(),
  });
  // 429 means another upload of ours was recent enough: not an error worth showing.
  if (!res.ok && res.status !== 429) throw new Error(`snapshot upload answered ${res.status}`);
}

/** The run's latest checkpoint, or null if it has none or it does not fit this model. */
export async function downloadCheckpoint(url: string, dim: number, fetchFn: typeof fetch = fetch): Promise<Float32Array | null> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (e) {
    throw new PeerError('data-download-failed', `could not fetch the checkpoint: ${(e as Error).message}`);
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new PeerError('data-download-failed', `GET ${url} answered ${res.status}`);
  const buf = await res.arrayBuffer();
  if (buf.byteLength !== dim * 4) return null;
  const x = new Float32Array(buf);
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return null;
  return x;
}
