import { useEffect, useRef, useState } from 'react';
import type { PeerRuntime, PeerStatus } from '@starling/peer';
import { createPeerRuntime, prepareCompute } from '../peer';
import { backendLabel, formatBytes, formatDuration, measuredSpeedsText, plannedBackendText, preparingText } from './format';
import { insecureContextWarning } from './secure-context';
import { Sparkline } from './Sparkline';
import { backgroundNotice, startThrottleProbe, type ThrottleReading } from './throttle';
import { formatRate, loadUploadCapText, parseUploadCap, saveUploadCapText } from './upload-cap';

const POLL_MS = 500;
const SPARK_POINTS = 120;

const PHASE_TEXT: Record<PeerStatus['phase'], string> = {
  idle: 'Not contributing',
  'selecting-backend': 'Checking which backends work in this browser…',
  connecting: 'Joining the run…',
  downloading: 'Downloading your share of the data…',
  syncing: 'Copying the current model from a neighbour…',
  training: 'Training',
  paused: 'Paused by the run owner',
  reconnecting: 'Lost the server; reconnecting…',
  stopped: 'Stopped. Thank you!',
  error: 'Stopped by an error',
};

export function ContributePage() {
  const runtime = useRef<PeerRuntime | null>(null);
  const [status, setStatus] = useState<PeerStatus | null>(null);
  const [losses, setLosses] = useState<number[]>([]);
  const [capText, setCapText] = useState(loadUploadCapText);
  const cap = parseUploadCap(capText);
  const capValid = cap === null || !Number.isNaN(cap);
  const hasWebGpu = typeof navigator !== 'undefined' && 'gpu' in navigator;
  const throttle = useRef<ThrottleReading | null>(null);

  useEffect(() => void prepareCompute(), []);
  useEffect(() => startThrottleProbe((r) => (throttle.current = r)), []);
  useEffect(() => {
    const t = setInterval(() => {
      const s = runtime.current?.status();
      if (!s) return;
      setStatus(s);
      if (s.loss !== null && s.phase === 'training') {
        setLosses((prev) => (prev.length >= SPARK_POINTS ? [...prev.slice(1), s.loss!] : [...prev, s.loss!]));
      }
    }, POLL_MS);
    return () => clearInterval(t);
  }, []);

  const start = () => {
    setLosses([]);
    runtime.current ??= createPeerRuntime(setStatus, capValid ? cap : null);
    void runtime.current.start();
  };
  const changeCap = (text: string) => {
    setCapText(text);
    const c = parseUploadCap(text);
    if (c !== null && Number.isNaN(c)) return;
    saveUploadCapText(text);
    runtime.current?.setUploadCap(c); // applies at once while training
  };
  const stop = () => void runtime.current?.stop();
  const active = status !== null && !['idle', 'stopped', 'error'].includes(status.phase);

  return (
    <main className="page">
      <h1>Starling</h1>
      <p className="lede">Lend this tab's GPU to a shared training run. Nothing is installed; close the tab to stop.</p>
      <InsecureContextNotice />
      {!active && (
        <section className="card">
          <p>{plannedBackendText(hasWebGpu)}</p>
          <p className="muted">
            You will download a slice of the training data (a few MB) and exchange model updates directly with
            other volunteers over WebRTC.
          </p>
          <button className="primary" onClick={start} data-testid="start">
            {status?.phase === 'error' || status?.phase === 'stopped' ? 'Contribute again' : 'Start contributing'}
          </button>
        </section>
      )}
      <section className="card">
        <label className="row" htmlFor="upload-cap">
          <span>Upload limit (MB/s)</span>
          <input
            id="upload-cap"
            data-testid="upload-cap"
            type="text"
            inputMode="decimal"
            placeholder="no limit"
            value={capText}
            aria-invalid={!capValid}
            onChange={(e) => changeCap(e.target.value)}
          />
        </label>
        <p className="muted" data-testid="upload-cap-note">
          {capValid
            ? `This tab uploads at most ${formatRate(cap)}${status?.uplinkBytesPerSec != null ? ` (now ${formatRate(status.uplinkBytesPerSec)}, the lower of yours and the run's)` : ''}.`
            : 'Type a rate between 0.01 and 10000 MB/s, or leave it empty for no limit.'}
        </p>
      </section>
      {status?.error && (
        <section className="card error" role="alert" data-testid="error">
          <strong>{status.error.message}</strong>
        </section>
      )}
      {status && status.phase !== 'idle' && <StatusPanel s={status} losses={losses} onStop={stop} active={active} throttle={throttle.current} />}
    </main>
  );
}

/** Shown on a page that is not a secure context: the browser gives it no WebGPU. */
function InsecureContextNotice() {
  const text = typeof window === 'undefined' ? null : insecureContextWarning(window.isSecureContext, window.location);
  return text === null ? null : (
    <section className="card warning" role="note" data-testid="insecure-context">
      {text}
    </section>
  );
}

function StatusPanel({ s, losses, onStop, active, throttle }: { s: PeerStatus; losses: number[]; onStop: () => void; active: boolean; throttle: ThrottleReading | null }) {
  const elapsed = s.startedAt ? Date.now() - s.startedAt : 0;
  const fellBack = s.backendAttempts.filter((a) => !a.ok);
  const preparing = preparingText(s);
  const speeds = measuredSpeedsText(s.backendAttempts);
  const background = active ? backgroundNotice(throttle, s.computeIn, s.stepsPerSec) : null;
  return (
    <section className="card" data-testid="status">
      <div className="row">
        <span className={`phase phase-${s.phase}`} data-testid="phase">{PHASE_TEXT[s.phase]}</span>
        {active && <button onClick={onStop} data-testid="stop">Stop</button>}
      </div>
      {preparing !== null && <p className="muted" data-testid="activity">{preparing}…</p>}
      {background !== null && <p className="muted" role="status" data-testid="background">{background}</p>}
      {s.phase === 'downloading' && s.download && (
        <progress max={s.download.total ?? undefined} value={s.download.loaded} aria-label="data download" />
      )}
      <dl className="grid">
        <dt>Running on</dt>
        <dd data-testid="backend">
          {backendLabel(s.backend, s.softwareGpu)}
          {s.device ? ` · ${s.device}` : ''}
          {speeds ? ` · measured ${speeds}` : ''}
          {s.kernels ? ` · gossip arithmetic in ${s.kernels === 'simd' ? 'WebAssembly SIMD' : 'JavaScript'}` : ''}
          {s.computeIn === 'worker' ? ' · in a background worker' : ' · on this page'}
        </dd>
        <dt>Your contribution</dt>
        <dd data-testid="contribution">{s.samples.toLocaleString()} samples · {s.steps.toLocaleString()} steps · {formatDuration(elapsed)}</dd>
        <dt>Speed</dt>
        <dd>{s.stepsPerSec.toFixed(1)} steps/s</dd>
        <dt>Local loss</dt>
        <dd data-testid="loss">{s.loss === null ? '—' : s.loss.toFixed(4)} <Sparkline values={losses} /></dd>
        <dt>Peers connected</dt>
        <dd data-testid="peers">{s.neighboursOpen} of {s.neighboursWanted} neighbours · {s.members} in the run</dd>
        <dt>Run</dt>
        <dd>{s.runId ?? '—'} · {s.algorithm ?? '—'} · epoch {s.epoch}{s.startedFrom ? ` · started from ${s.startedFrom}` : ''}</dd>
        <dt>Network</dt>
        <dd>sent {formatBytes(s.bytesSent)}, received {formatBytes(s.bytesReceived)}, frames lost {s.framesLost}, rejected {s.framesRejected}</dd>
      </dl>
      {fellBack.length > 0 && (
        <details>
          <summary>Why not {fellBack.map((a) => a.name).join(', ')}?</summary>
          <ul>{fellBack.map((a) => <li key={a.name}>{a.name}: {a.reason}</li>)}</ul>
        </details>
      )}
    </section>
  );
}
