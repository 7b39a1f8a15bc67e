import type { ReactNode } from 'react';
import { samplesPerStep, type RunConfig, type TaskInfo } from '@starling/protocol';
import { formatDuration } from '../contribute/format';
import { DASH, formatAge, formatCount, formatPercent, formatRelative } from './format';
import { isDeparted, type PeersTableState } from './peers-table';
import { metricView, type MetricView } from './metric';
import type { Evaluation, RunInfo, RunStatePayload } from './types';

/** The run at a glance: what is being trained, how, how far it got and how well it does. */

export interface RunHeaderProps {
  run: RunInfo | null;
  runState: RunStatePayload | null;
  table: PeersTableState;
  /** Topology epoch (from the latest `topology` / `observing` event). */
  epoch: number;
  totalSamples: number;
  latest: Evaluation | null;
  now: number;
}

/** The model in one line, e.g. "MLP 784 → 128 → 10" or "GRU 128 over 64-character windows". */
export function describeModel(task: TaskInfo): string {
  const m = task.model;
  const classes = (n: number | undefined) => n ?? 10;
  switch (m.kind) {
    case 'mlp':
      return `MLP ${[m.inputSize ?? 784, ...m.hidden, classes(m.classes)].join(' → ')}`;
    case 'cnn':
      return `CNN conv ${m.filters.join(', ')} (${m.kernelSize}×${m.kernelSize}) → dense ${[...m.dense, classes(m.classes)].join(' → ')}`;
    case 'rnn':
      return `${m.cell.toUpperCase()} ${m.units.join(' → ')} over ${m.length}-character windows, ${m.vocab} characters`;
    case 'layers':
      return `uploaded TF.js model, input [${m.inputShape.join(', ')}], ${m.weights.length} weight tensors`;
  }
}

function describeTopology(c: RunConfig): string {
  const t = c.topology;
  const extra = t.kind === 'kout' && t.k !== undefined ? ` (k=${t.k})` : t.kind === 'tree' && t.branching !== undefined ? ` (branching ${t.branching})` : '';
  return `${t.kind}${extra}`;
}

export function RunHeader({ run, runState, table, epoch, totalSamples, latest, now }: RunHeaderProps) {
  if (!run) return <section className="card dash-header" aria-busy="true">Loading the run…</section>;
  const c = run.config;
  const live = table.rows.filter((r) => !isDeparted(r.status));
  const stepsPerSec = live.reduce((a, r) => a + (Number.isFinite(r.peer.stepsPerSec) ? r.peer.stepsPerSec : 0), 0);
  const paused = runState?.paused ?? run.paused;
  const lossRate = runState?.lossRate ?? run.lossRate;
  return (
    <section className="card dash-header" aria-label="run summary">
      <div className="row">
        <h2 className="dash-run-title">
          Run <code>{run.runId}</code>
        </h2>
        <span className={`badge badge-${paused ? 'paused' : run.status}`} data-testid="dash-run-status">
          {paused ? 'paused' : run.status}
        </span>
      </div>
      <dl className="dash-facts">
        <Fact label="Task">
          <span data-testid="dash-task">{run.task.title}</span> · {describeModel(run.task)}
        </Fact>
        <Fact label="Algorithm">{c.algorithm}</Fact>
        <Fact label="Hyper-parameters">
          lr {c.lr} · batch {c.batchSize}{c.innerSteps > 1 ? ` · ${c.innerSteps} inner steps` : ''} · block {formatCount(c.blockSize)} f32
        </Fact>
        <Fact label="Topology">{describeTopology(c)} · epoch {epoch}</Fact>
        <Fact label="Shards">
          {c.shards.count} × {c.shards.mode === 'iid' ? 'IID' : `non-IID (${c.shards.classesPerShard} classes each)`}
        </Fact>
        <Fact label="Loss rate">{formatPercent(lossRate, 0)} of frames dropped on purpose</Fact>
        <Fact label="Elapsed">{Number.isFinite(run.startedAt) ? formatDuration(now - run.startedAt) : DASH}</Fact>
        <Fact label="Peers">
          {live.length} live · {table.rows.length - live.length} departed
        </Fact>
        <Fact label="Samples">{formatCount(totalSamples)}</Fact>
        <Fact label="Throughput">{formatCount(stepsPerSec * samplesPerStep(c))} samples/s · {stepsPerSec.toFixed(1)} steps/s</Fact>
        <Fact label={metricView(run.task.metric).title}>
          <LatestAccuracy latest={latest} now={now} view={metricView(run.task.metric)} />
        </Fact>
      </dl>
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="dash-fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function LatestAccuracy({ latest, now, view }: { latest: Evaluation | null; now: number; view: MetricView }) {
  if (!latest) {
    return (
      <span>
        <strong data-testid="dash-accuracy-latest">{DASH}</strong> <span className="muted">no server evaluation yet</span>
      </span>
    );
  }
  return (
    <span>
      <strong data-testid="dash-accuracy-latest">{view.format(view.value(latest))}</strong>{' '}
      <span className="muted">
        peer {latest.peerId}'s snapshot at {formatCount(latest.snapshotSteps)} steps, {formatAge(latest.snapshotAgeMs)} old when evaluated
        on {formatCount(latest.testCount)} test examples · {formatRelative(now - latest.t)}
      </span>
    </span>
  );
}
