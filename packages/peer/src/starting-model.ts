import type { Algorithm } from '@starling/core';
import type { WelcomePayload } from '@starling/protocol';
import { ModelSync } from './model-sync';
import type { RunNetwork } from './run-network';
import { downloadCheckpoint } from './server-uploads';

export interface StartingModelInput {
  welcome: WelcomePayload;
  algo: Algorithm;
  network: RunNetwork;
  handoffTimeoutMs: number;
  serverUrl: string;
  /** Called when we start waiting for a neighbour's model (the phase turns 'syncing'). */
  syncing: () => void;
}

/**
 * algorithms.md 1.6: a joiner copies x from a neighbour (freshest), else from the run's latest
 * checkpoint, so it does not drag the others back to x0. In a fresh run (the server has no trained
 * sample yet) every member is at x0 (the same for all: it is seeded), so nobody asks: peers that
 * start together would otherwise each wait out the hand-off timeout, since a peer that is still
 * syncing has no model to hand over. Loads the model it finds into `algo` and says where it came
 * from, for the status.
 */
export async function chooseStartingModel(o: StartingModelInput): Promise<string> {
  const { welcome: w, algo, network } = o;
  const members = network.placement.members;
  if (!w.fresh && members.some((id) => id !== w.peerId)) {
    o.syncing();
    const sync = new ModelSync(network.mesh, network.router, algo.dim, w.config.blockSize, o.handoffTimeoutMs);
    network.sync = sync;
    const got = await sync.result;
    if (network.sync === sync) network.sync = null;
    if (got) {
      algo.loadModel(got.model);
      return `peer ${got.from}`;
    }
  }
  if (w.checkpointUrl) {
    const x = await downloadCheckpoint(new URL(w.checkpointUrl, o.serverUrl).href, algo.dim).catch(() => null);
    if (x) {
      algo.loadModel(x);
      return 'the run checkpoint';
    }
  }
  // An uploaded task starts from the owner's weights, not from initialParams.
  if (w.task.initialUrl) {
    const x = await downloadCheckpoint(new URL(w.task.initialUrl, o.serverUrl).href, algo.dim).catch(() => null);
    if (x) {
      algo.loadModel(x);
      return "the owner's model";
    }
  }
  return members.length <= 1 ? 'x0 (first peer)' : w.fresh ? 'x0 (fresh run, like every peer)' : 'x0 (no neighbour answered)';
}
