import { useId, useState } from 'react';
import { describeApiError, type ApiClient } from './api';

/**
 * The owner's "bring your own task" form: a TF.js model (model.json and its weight files) and a
 * CSV with a label column or a zip of `<class>/<image>.png` folders. The server checks everything;
 * its reason for a refusal is shown under the form.
 */
export function TaskUpload({ api, disabled, onUploaded }: { api: Pick<ApiClient, 'uploadTask'>; disabled: boolean; onUploaded: (id: string) => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [labelColumn, setLabelColumn] = useState('');
  const [objective, setObjective] = useState<'classification' | 'regression'>('classification');
  const [model, setModel] = useState<File | null>(null);
  const [weights, setWeights] = useState<File[]>([]);
  const [data, setData] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const kind = data?.name.toLowerCase().endsWith('.zip') ? 'images' : 'csv';
  const ready = name.trim() !== '' && model !== null && weights.length > 0 && data !== null && (kind === 'images' || labelColumn.trim() !== '');
  const submit = async () => {
    const form = new FormData();
    form.set('name', name.trim());
    form.set('kind', kind);
    form.set('objective', kind === 'images' ? 'classification' : objective);
    if (kind === 'csv') form.set('labelColumn', labelColumn.trim());
    form.set('model', model!, 'model.json');
    for (const w of weights) form.append('weights', w, w.name);
    form.set('data', data!, data!.name);
    setBusy(true);
    try {
      const taskId = await api.uploadTask(form);
      setResult(`stored as ${taskId}: pick it under New run`);
      onUploaded(taskId);
    } catch (e) {
      setResult(`Not stored: ${describeApiError(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="dash-new-run" onSubmit={(e) => (e.preventDefault(), ready && void submit())} data-testid="dash-task-upload">
      <fieldset disabled={disabled || busy}>
        <legend>Upload a task</legend>
        <label htmlFor={`${id}-name`}>Name</label>
        <input id={`${id}-name`} value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />
        <label htmlFor={`${id}-model`}>model.json</label>
        <input id={`${id}-model`} type="file" accept=".json" onChange={(e) => setModel(e.target.files?.[0] ?? null)} />
        <label htmlFor={`${id}-weights`}>Weight files</label>
        <input id={`${id}-weights`} type="file" multiple accept=".bin" onChange={(e) => setWeights([...(e.target.files ?? [])])} />
        <label htmlFor={`${id}-data`}>Data (CSV or zip of class folders)</label>
        <input id={`${id}-data`} type="file" accept=".csv,.zip" onChange={(e) => setData(e.target.files?.[0] ?? null)} />
        {kind === 'csv' && (
          <>
            <label htmlFor={`${id}-label`}>Label column</label>
            <input id={`${id}-label`} value={labelColumn} onChange={(e) => setLabelColumn(e.target.value)} />
            <label htmlFor={`${id}-objective`}>Objective</label>
            <select id={`${id}-objective`} value={objective} onChange={(e) => setObjective(e.target.value as typeof objective)}>
              <option value="classification">classification (labels 0..k-1)</option>
              <option value="regression">regression (real values)</option>
            </select>
          </>
        )}
        <button type="submit" disabled={!ready}>Upload</button>
      </fieldset>
      {result && <p className="muted" data-testid="dash-task-upload-result">{result}</p>}
    </form>
  );
}
