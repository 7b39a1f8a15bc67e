import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '@starling/protocol';
import { layoutOf } from '@starling/training';
import { BUILTIN_TASKS, builtinSummaries, resolveTask, TaskError } from './node';

describe('the task registry', () => {
  it('resolves every built-in task with its default options to a model that lays out', () => {
    for (const t of BUILTIN_TASKS) {
      const r = resolveTask({ task: t.id, taskOptions: {} });
      expect(r.info.id).toBe(t.id);
      expect(r.info.initialUrl).toBeNull();
      expect(layoutOf(r.info.model).dim).toBeGreaterThan(0);
    }
    expect(builtinSummaries().map((s) => s.id)).toEqual(BUILTIN_TASKS.map((t) => t.id));
  });

  it('turns options into the model: mnist-mlp hidden sizes, mnist-cnn filters', () => {
    expect(resolveTask({ task: 'mnist-mlp', taskOptions: { hidden: [64] } }).info.model).toEqual({ kind: 'mlp', hidden: [64] });
    expect(resolveTask(parseRunConfig({ task: 'mnist-cnn' })).info.model).toMatchObject({ kind: 'cnn', filters: [8, 16], kernelSize: 5 });
    // A config from before tasks resolves to the same task.
    expect(resolveTask(parseRunConfig({ task: 'mnist', model: { kind: 'mlp', hidden: [32] } })).info.model).toEqual({ kind: 'mlp', hidden: [32] });
  });

  it('refuses unknown tasks and bad options, naming the field', () => {
    const issues = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TaskError);
        return (e as TaskError).issues;
      }
      throw new Error('expected a TaskError');
    };
    expect(issues(() => resolveTask({ task: 'cifar-10', taskOptions: {} }))[0]).toMatchObject({ path: 'task', message: expect.stringMatching(/mnist-mlp/) });
    expect(issues(() => resolveTask({ task: 'mnist-mlp', taskOptions: { hidden: [0] } }))[0].path).toBe('taskOptions.hidden[0]');
    expect(issues(() => resolveTask({ task: 'mnist-cnn', taskOptions: { filter: [3] } }))[0].path).toBe('taskOptions');
  });
});
