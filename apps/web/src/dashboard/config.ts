/** Tunables of the dashboard, in one place. */
export const DASHBOARD_CONFIG = {
  /** Rows kept per in-memory series store before the older half is compacted (bounded memory). */
  storeCapacity: 4000,
  /** Points requested from the server's history endpoints. */
  historyMaxPoints: 2000,
  /** Peers that keep a faint loss line (the ones silent longest are dropped beyond this). */
  maxPeerLines: 128,
  /** Server evaluations kept; older ones are thinned beyond this. */
  evaluationsKept: 5000,
  /** How often the list of runs (with the current run's figures) is re-fetched. */
  runsRefreshMs: 15_000,
  /** How often the server's health (refusal counters, memory) is re-fetched. */
  healthRefreshMs: 5_000,
  /** Points handed to a chart: about two per horizontal pixel of a wide chart. */
  chartMaxPoints: 2400,
  /** EMA weight of the past in the smoothing toggle (TensorBoard-style, debiased). */
  emaBeta: 0.9,
  /** Departed peers kept in the table after the server stops listing them. */
  departedKept: 200,
  /** A live peer below this fraction of the median live steps/s is drawn as slow. */
  slowFraction: 0.5,
  /** A live peer not heard from for this long (relative to the payload time) is drawn as slow. */
  slowSilenceMs: 3000,
  /** How often relative times ("5 s ago") refresh. */
  clockTickMs: 1000,
  /** Peers drawn on the topology circle (departed ones are dropped first beyond this). */
  topologyMaxNodes: 96,
} as const;

export type DashboardConfig = typeof DASHBOARD_CONFIG;
