import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { PeerId } from '@starling/core';
import { createApi, describeApiError, type ApiClient } from './api';
import { DASHBOARD_CONFIG as C } from './config';
import { EvaluationFeed } from './evaluation-feed';
import { subscribeLive, type ObservingLive } from './live';
import { EMPTY_PEERS_TABLE, makePeersTableReducer } from './peers-table';
import { RunSeries } from './run-series';
import type { DashPeersPayload, Evaluation, HealthResponse, RunInfo, RunStatePayload, RunSummary, TopologyEdges } from './types';

/**
 * Everything the dashboard shows, kept current: history from the REST API on load (and on
 * `run-changed`), then live socket events on top. Loss history lives in a mutable `RunSeries`
 * (bounded); `seriesVersion` tells the charts when to redraw it.
 */

export interface TopologyState {
  epoch: number;
  members: PeerId[];
  edges: TopologyEdges | null;
}

export interface Connection {
  connected: boolean;
  reason: string | null;
}

const peersTableReducer = makePeersTableReducer(C);
const newSeries = () => new RunSeries({ capacity: C.storeCapacity, maxPeerColumns: C.maxPeerLines });

export function useDashboardData(token: string | null) {
  const api: ApiClient = useMemo(() => createApi({ token }), [token]);
  const [run, setRun] = useState<RunInfo | null>(null);
  const [runState, setRunState] = useState<RunStatePayload | null>(null);
  const [topology, setTopology] = useState<TopologyState>({ epoch: 0, members: [], edges: null });
  const [table, dispatch] = useReducer(peersTableReducer, EMPTY_PEERS_TABLE);
  const series = useRef(newSeries());
  const [seriesVersion, setSeriesVersion] = useState(0);
  const feed = useRef(new EvaluationFeed(C.evaluationsKept));
  const [evaluations, setEvaluations] = useState<readonly Evaluation[]>([]);
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [health, setHealth] = useState<HealthResponse | null>(null);
  const [connection, setConnection] = useState<Connection>({ connected: false, reason: 'connecting…' });
  const [error, setError] = useState<string | null>(null);
  /** Server clock minus local clock, from the latest `peers` payload. */
  const clockOffset = useRef(0);
  const runId = useRef<string | null>(null);
  const loadGeneration = useRef(0);
  /** Live payloads that arrive while history loads, replayed on top of it. */
  const pending = useRef<DashPeersPayload[] | null>(null);

  const report = useCallback((what: string, e: unknown) => setError(`${what}: ${describeApiError(e)}`), []);
  const showEvaluations = useCallback((changed: boolean) => {
    if (changed) setEvaluations(feed.current.list);
  }, []);

  const refreshRuns = useCallback(() => {
    api.runs().then(setRuns, (e: unknown) => report('Could not load the list of runs', e));
  }, [api, report]);

  const load = useCallback(async () => {
    const gen = ++loadGeneration.current;
    pending.current = [];
    const stale = () => gen !== loadGeneration.current;
    try {
      const info = await api.run();
      if (stale()) return;
      const sameRun = runId.current === info.runId;
      runId.current = info.runId;
      setRun(info);
      setRunState({ paused: info.paused, lossRate: info.lossRate });
      setTopology({ epoch: info.epoch, members: info.members, edges: info.topology ?? null });
      feed.current.loaded(info.runId);
      setEvaluations(feed.current.list);
      if (!sameRun) dispatch({ type: 'reset' });
      const [peers, metrics, losses, evals] = await Promise.allSettled([
        api.peers(),
        api.metrics(info.runId, C.historyMaxPoints),
        api.peerLosses(info.runId, C.historyMaxPoints),
        api.evaluations(info.runId),
      ]);
      if (stale()) return;
      if (peers.status === 'fulfilled') dispatch({ type: 'peers', payload: peers.value });
      const s = newSeries();
      s.loadHistory(metrics.status === 'fulfilled' ? metrics.value : [], losses.status === 'fulfilled' ? losses.value : []);
      for (const p of pending.current ?? []) s.appendPeers(p);
      series.current = s;
      setSeriesVersion((v) => v + 1);
      // Merged with what the socket brought meanwhile, not put in its place.
      if (evals.status === 'fulfilled') showEvaluations(feed.current.fetched(info.runId, evals.value));
      const failed = [peers, metrics, losses, evals].find((r) => r.status === 'rejected');
      if (failed) report('Some history could not be loaded', failed.reason);
    } catch (e) {
      if (!stale()) report('Could not load the run', e);
    } finally {
      if (!stale()) pending.current = null;
    }
    refreshRuns();
  }, [api, report, refreshRuns]);

  useEffect(() => {
    void load();
    const unsubscribe = subscribeLive({
      onConnection: (connected, reason) => setConnection({ connected, reason }),
      onObserving: (p: ObservingLive) => {
        setTopology((t) => ({ epoch: p.epoch, members: p.members, edges: p.topology ?? t.edges }));
        // Until GET /api/run answers (or if it cannot), the socket's view of the run stands in.
        setRun((r) => r ?? runFromObserving(p));
        // A reconnect may land in a run that started while we were away.
        if (runId.current !== null && p.runId !== runId.current) void load();
        // Evaluations stored before this (re)join were broadcast to no socket of ours.
        if (feed.current.observing(p.runId)) {
          api.evaluations(p.runId).then(
            (list) => showEvaluations(feed.current.fetched(p.runId, list)),
            (e: unknown) => report('Could not load the evaluations', e),
          );
        }
      },
      onPeers: (p) => {
        clockOffset.current = p.at - Date.now();
        dispatch({ type: 'peers', payload: p });
        pending.current?.push(p);
        if (series.current.appendPeers(p)) setSeriesVersion((v) => v + 1);
      },
      onRunState: (s) => setRunState(s),
      onTopology: (p) => setTopology((t) => ({ epoch: p.epoch, members: p.members, edges: p.topology ?? t.edges })),
      onEvaluation: (e) => showEvaluations(feed.current.live(e)),
      onRunChanged: () => {
        series.current = newSeries();
        setSeriesVersion((v) => v + 1);
        void load();
      },
      onRejected: (p) => setError(`The server refused '${p.event}' (${p.code}): ${p.message}`),
    });
    const timer = setInterval(refreshRuns, C.runsRefreshMs);
    // Health is a side panel: a failed fetch keeps the last figures rather than raising an error.
    const refreshHealth = () => void api.health().then(setHealth, () => {});
    refreshHealth();
    const healthTimer = setInterval(refreshHealth, C.healthRefreshMs);
    return () => {
      unsubscribe();
      clearInterval(timer);
      clearInterval(healthTimer);
      loadGeneration.current++;
    };
  }, [load, refreshRuns, api, report, showEvaluations]);

  const serverNow = useCallback(() => Date.now() + clockOffset.current, []);

  return {
    api,
    run,
    runState,
    setRunState,
    topology,
    table,
    series: series.current,
    seriesVersion,
    evaluations,
    runs,
    health,
    connection,
    error,
    setError,
    report,
    reload: load,
    refreshRuns,
    serverNow,
  };
}

export type DashboardData = ReturnType<typeof useDashboardData>;

function runFromObserving(p: ObservingLive): RunInfo {
  return {
    runId: p.runId,
    config: p.config,
    task: p.task,
    status: 'running',
    startedAt: Number.NaN,
    epoch: p.epoch,
    members: p.members,
    topology: p.topology ?? { rOut: {}, cOut: {} },
    paused: false,
    lossRate: p.config.lossRate,
    counters: {},
  };
}
