import { useEffect, useId, useState } from 'react';
import { ALGORITHM_NAMES, DEFAULT_LR, TOPOLOGY_KINDS, type RunConfig, type TaskSummary } from '@starling/protocol';
import type { ApiClient } from './api';
import { TaskUpload } from './TaskUpload';
import type { NewRunRequest, RunInfo, RunStatePayload } from './types';

/**
 * The owner's controls. Shown only with an admin token; the server checks the token on every call,
 * so hiding them is a convenience, not the protection.
 */

export interface RunControlsProps {
  api: Pick<ApiClient, 'tasks' | 'uploadTask'>;
  run: RunInfo | null;
  runState: RunStatePayload | null;
  modelUrls: { modelJson: string; weights: string } | null;
  /** Whether the run has a checkpoint (the server keeps one per evaluated snapshot). */
  hasCheckpoint: boolean;
  /** Each resolves true when the server accepted it (refusals are shown by the dashboard). */
  onPause: (paused: boolean) => Promise<boolean>;
  onLossRate: (lossRate: number) => Promise<boolean>;
  onStartRun: (req: NewRunRequest) => Promise<boolean>;
  onForgetToken: () => void;
}

export function RunControls({ api, run, runState, modelUrls, hasCheckpoint, onPause, onLossRate, onStartRun, onForgetToken }: RunControlsProps) {
  const [busy, setBusy] = useState<string | null>(null);
  // Bumped after an upload, so the task picker lists the new task.
  const [taskListVersion, setTaskListVersion] = useState(0);
  const paused = runState?.paused ?? run?.paused ?? false;
  const act = async (what: string, f: () => Promise<boolean>) => {
    setBusy(what);
    try {
      await f();
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="card dash-controls" aria-label="run control">
      <div className="row">
        <h2>Run control</h2>
        <button type="button" className="link-button" onClick={onForgetToken}>
          Forget admin token
        </button>
      </div>
      <div className="dash-control-row">
        <button
          type="button"
          data-testid="dash-pause"
          className={paused ? 'primary-small' : ''}
          disabled={busy !== null || !run}
          onClick={() => void act('pause', () => onPause(!paused))}
        >
          {paused ? 'Resume training' : 'Pause training'}
        </button>
        <LossRateControl current={runState?.lossRate ?? run?.lossRate ?? 0} disabled={busy !== null || !run} onApply={(v) => act('loss', () => onLossRate(v))} />
        {modelUrls && hasCheckpoint ? (
          <span className="dash-downloads">
            Latest checkpoint (TF.js layers model): <a href={modelUrls.modelJson} download="model.json">model.json</a> ·{' '}
            <a href={modelUrls.weights} download="weights.bin">weights.bin</a>
          </span>
        ) : (
          <span className="dash-downloads muted">No checkpoint to download yet (one is kept per evaluated snapshot).</span>
        )}
      </div>
      <NewRunForm key={taskListVersion} api={api} config={run?.config ?? null} disabled={busy !== null} onStart={(req) => act('start', () => onStartRun(req))} />
      <TaskUpload api={api} disabled={busy !== null} onUploaded={() => setTaskListVersion((v) => v + 1)} />
    </section>
  );
}

function LossRateControl({ current, disabled, onApply }: { current: number; disabled: boolean; onApply: (v: number) => Promise<void> }) {
  const id = useId();
  const [value, setValue] = useState(current);
  // Follow changes made elsewhere (another owner tab) while not being edited here.
  useEffect(() => setValue(current), [current]);
  const valid = Number.isFinite(value) && value >= 0 && value <= 1;
  return (
    <form
      className="dash-inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) void onApply(value);
      }}
    >
      <label htmlFor={`${id}-range`}>Loss rate</label>
      <input id={`${id}-range`} type="range" min={0} max={1} step={0.01} value={valid ? value : 0} onChange={(e) => setValue(Number(e.target.value))} />
      <input
        aria-label="loss rate (0 to 1)"
        data-testid="dash-loss-rate"
        type="number"
        min={0}
        max={1}
        step={0.01}
        value={Number.isFinite(value) ? value : ''}
        onChange={(e) => setValue(e.target.value === '' ? Number.NaN : Number(e.target.value))}
      />
      <button type="submit" disabled={disabled || !valid || value === current}>
        Set
      </button>
    </form>
  );
}

function NewRunForm({ api, config, disabled, onStart }: { api: Pick<ApiClient, 'tasks'>; config: RunConfig | null; disabled: boolean; onStart: (req: NewRunRequest) => Promise<void> }) {
  const id = useId();
  const [tasks, setTasks] = useState<TaskSummary[]>([]);
  const [task, setTask] = useState(config?.task ?? 'mnist-mlp');
  useEffect(() => {
    let live = true;
    api.tasks().then((t) => live && setTasks(t), () => {});
    return () => {
      live = false;
    };
  }, [api]);
  const picked = tasks.find((t) => t.id === task);
  const [algorithm, setAlgorithm] = useState<RunConfig['algorithm']>(config?.algorithm ?? 'rfast');
  const [topology, setTopology] = useState<RunConfig['topology']['kind']>(config?.topology.kind ?? 'exponential');
  const [lr, setLr] = useState(String(config?.lr ?? DEFAULT_LR[algorithm]));
  // Until the owner types a learning rate, it follows the chosen algorithm's suggested one.
  const [lrEdited, setLrEdited] = useState(false);
  const chooseAlgorithm = (a: RunConfig['algorithm']): void => {
    setAlgorithm(a);
    if (!lrEdited) setLr(String(DEFAULT_LR[a]));
  };
  const [batch, setBatch] = useState(String(config?.batchSize ?? 32));
  const lrNum = Number(lr);
  const batchNum = Number(batch);
  const valid = lrNum > 0 && lrNum <= 10 && Number.isInteger(batchNum) && batchNum >= 1 && batchNum <= 4096;
  return (
    <form
      className="dash-new-run"
      onSubmit={(e) => {
        e.preventDefault();
        // The current task keeps its options; another task starts with its defaults.
        const taskOptions = task === config?.task ? config.taskOptions : {};
        if (valid) void onStart({ config: { task, taskOptions, algorithm, topology: { kind: topology }, lr: lrNum, batchSize: batchNum } });
      }}
    >
      <fieldset disabled={disabled}>
        <legend>New run</legend>
        <label htmlFor={`${id}-task`}>Task</label>
        <select id={`${id}-task`} data-testid="dash-new-task" value={task} onChange={(e) => setTask(e.target.value)}>
          {(tasks.some((t) => t.id === task) ? tasks : [...tasks, { id: task, title: task }]).map((t) => (
            <option key={t.id} value={t.id}>
              {t.title} ({t.id})
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-alg`}>Algorithm</label>
        <select id={`${id}-alg`} data-testid="dash-new-algorithm" value={algorithm} onChange={(e) => chooseAlgorithm(e.target.value as RunConfig['algorithm'])}>
          {ALGORITHM_NAMES.map((a) => <option key={a} value={a}>{a}</option>)}
        </select>
        <label htmlFor={`${id}-topo`}>Topology</label>
        <select id={`${id}-topo`} value={topology} onChange={(e) => setTopology(e.target.value as RunConfig['topology']['kind'])}>
          {TOPOLOGY_KINDS.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        <label htmlFor={`${id}-lr`}>Learning rate</label>
        <input
          id={`${id}-lr`}
          data-testid="dash-new-lr"
          type="number"
          min={0}
          max={10}
          step="any"
          value={lr}
          title={`suggested for ${algorithm} (measured on the MNIST MLP): ${DEFAULT_LR[algorithm]}`}
          onChange={(e) => {
            setLr(e.target.value);
            setLrEdited(true);
          }}
        />
        <label htmlFor={`${id}-batch`}>Batch size</label>
        <input id={`${id}-batch`} type="number" min={1} max={4096} step={1} value={batch} onChange={(e) => setBatch(e.target.value)} />
        <button type="submit" data-testid="dash-start-run" disabled={!valid}>
          End this run and start a new one
        </button>
        {picked && <p className="muted dash-task-description">{picked.description}</p>}
      </fieldset>
      {!valid && <p className="muted">Learning rate must be in (0, 10] and batch size an integer from 1 to 4096.</p>}
    </form>
  );
}

/** What a viewer without the token sees instead of the controls. */
export function AdminNote() {
  return (
    <p className="muted dash-admin-note" data-testid="dash-admin-note">
      Viewing only. To pause, change the loss rate or start runs, open the admin link the server printed at start-up
      (<code>/dashboard#token=…</code>); the token stays in this tab only.
    </p>
  );
}
