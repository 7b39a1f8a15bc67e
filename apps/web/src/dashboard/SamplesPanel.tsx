import { useEffect, useRef, useState } from 'react';
import type { TaskSamples } from '@starling/protocol';
import type { ApiClient } from './api';
import type { Evaluation } from './types';

/**
 * What the latest evaluated snapshot makes of a few test examples: images with their label and the
 * model's guess (red when wrong), or a line of text the language model wrote after a prompt.
 * Fetched again whenever a new evaluation arrives.
 */
export function SamplesPanel({ api, runId, latest }: { api: ApiClient; runId: string | null; latest: Evaluation | null }) {
  const [samples, setSamples] = useState<TaskSamples | null>(null);
  const stamp = latest ? `${latest.t}:${latest.peerId}` : '';
  useEffect(() => {
    if (runId === null) return;
    let live = true;
    // The server makes samples just after the evaluation; ask again shortly if they are not there yet.
    const load = (tries: number) =>
      api.samples(runId).then((s) => {
        if (!live) return;
        if (s !== null && (latest === null || s.snapshotSteps === latest.snapshotSteps || tries === 0)) setSamples(s);
        else if (tries > 0) setTimeout(() => load(tries - 1), 1500);
      }, () => {});
    void load(3);
    return () => {
      live = false;
    };
  }, [api, runId, stamp]);
  if (samples === null || (samples.images === null && samples.text === null)) return null;
  return (
    <section className="card dash-samples" aria-labelledby="samples-title" data-testid="dash-samples">
      <h2 id="samples-title">Samples</h2>
      <p className="muted">
        Peer {samples.peerId}'s snapshot at step {samples.snapshotSteps}, as the server evaluated it.
      </p>
      {samples.images && (
        <ul className="dash-sample-images">
          {samples.images.items.map((item, i) => (
            <li key={i} className={item.label === item.predicted ? 'ok' : 'wrong'} data-testid="dash-sample-image">
              <SampleImage pixels={item.pixels} shape={samples.images!.shape} />
              <span>
                {item.predicted}
                {item.label !== item.predicted && <span className="muted"> (is {item.label})</span>}
              </span>
            </li>
          ))}
        </ul>
      )}
      {samples.text && (
        <p className="dash-sample-text" data-testid="dash-sample-text">
          <span className="muted">{samples.text.prompt}</span>
          <strong>{samples.text.generated}</strong>
        </p>
      )}
    </section>
  );
}

/** One grey or RGB test image from its base64 bytes, scaled up 3x. */
function SampleImage({ pixels, shape }: { pixels: string; shape: [number, number, number] }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [h, w, c] = shape;
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const bytes = Uint8Array.from(atob(pixels), (ch) => ch.charCodeAt(0));
    const img = ctx.createImageData(w, h);
    for (let p = 0; p < w * h; p++) {
      for (let k = 0; k < 3; k++) img.data[4 * p + k] = bytes[p * c + (c === 1 ? 0 : k)];
      img.data[4 * p + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [pixels, h, w, c]);
  return <canvas ref={ref} width={w} height={h} style={{ width: 3 * w, height: 3 * h, imageRendering: 'pixelated' }} />;
}
