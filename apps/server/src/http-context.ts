import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RunStatePayload, RunStateUpdate } from '@starling/protocol';
import type { ClientGate } from './client-gate';
import type { ServerCounters } from './counters';
import type { ServerTuning } from './config';
import type { RunLifecycle } from './lifecycle';
import type { ModelExporter } from './model-export';
import type { SnapshotPipeline } from './snapshots';
import type { Store } from './store';
import type { TaskCatalog } from './task-catalog';

/** What the HTTP routes need from the rest of the server. */
export interface HttpDeps {
  runs: RunLifecycle;
  store: Store;
  tasks: TaskCatalog;
  snapshots: SnapshotPipeline;
  exporter: ModelExporter;
  /** Changes paused / lossRate and tells every client. */
  setRunState: (u: RunStateUpdate) => RunStatePayload;
  adminToken: string;
  tuning: ServerTuning;
  /** Per-client limits and the client address of a request. */
  gate: ClientGate;
  /** The process's counters. */
  counters: ServerCounters;
  /**
   * The cluster's shared secret: a request forwarded by another process of the cluster (which
   * proves it with this) names its client's address in a header (cluster/http-proxy.ts).
   */
  clusterSecret?: string;
  clock: () => number;
  /** Built web app; missing directory = only the API is served. */
  webDist: string;
  /** TF.js wasm binaries; undefined = /tfjs-wasm/ answers 404. */
  wasmDir: string | undefined;
  log: (line: string) => void;
}

/** One request, parsed once. */
export interface RequestContext {
  deps: HttpDeps;
  req: IncomingMessage;
  res: ServerResponse;
  /** The request's socket, kept: Node nulls `req.socket` once the request is destroyed. */
  socket: Socket;
  /** The client's address (X-Forwarded-For only from a trusted proxy). */
  client: string;
  method: string;
  path: string;
  query: URLSearchParams;
  /** HEAD: headers only. */
  head: boolean;
}

/** An API route; `GET` routes also answer HEAD. `params` are the pattern's groups, percent-decoded. */
export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handle: (ctx: RequestContext, params: string[]) => Promise<void> | void;
}
