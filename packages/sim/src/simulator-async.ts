/**
 * `runSimulationAsync`: the same engine and the same results as `runSimulation`, for problems whose
 * gradient is asynchronous (a real ML framework). Between two events it awaits the gradients of the
 * steps the last event started, one at a time in start order, and the observer of any record taken,
 * so virtual time and every result stay deterministic however long the real computation takes.
 */
import { Simulation } from './simulator';
import type { AsyncSimConfig, EndReason, SimObservation, SimRecord, SimResult } from './types';

export async function runSimulationAsync(config: AsyncSimConfig): Promise<SimResult> {
  const sim = new Simulation(config, true);
  sim.start();
  let end: EndReason | null = null;
  while (end === null) {
    await sim.computeDeferred();
    const rec = sim.takeRecord();
    if (rec !== null && (await observe(config, sim, rec, false)) === 'stop') {
      end = 'stopped';
      break;
    }
    end = sim.next();
  }
  const result = sim.finish(end);
  const last = sim.takeRecord();
  if (last !== null) await observe(config, sim, last, true);
  return result;
}

async function observe(config: AsyncSimConfig, sim: Simulation, record: SimRecord, final: boolean): Promise<void | 'stop'> {
  if (config.observe === undefined) return;
  const o: SimObservation = { record, final, live: sim.liveIds(), model: (id) => sim.modelOf(id) };
  return config.observe(o);
}
