/**
 * Tunables of the baseline algorithms (AllReduce, D-PSGD, AD-PSGD, SGP/OSGP, gossip local SGD).
 * Per-run values (lr, blockSize, tau, localSteps, fanout) come in through AlgorithmOptions; these are
 * the defaults and the safety limits behind them.
 */
export const BASELINE_DEFAULTS = {
  /** Gossip: local SGD steps per version (H) when `localSteps` is not given. */
  gossipLocalSteps: 1,
  /** Gossip: c in fanout = ceil(c ln n) when neither `fanout` nor `fanoutC` is given (spec section 3). */
  gossipFanoutC: 1,
  /**
   * Reliable messages of a newer epoch can overtake the control message that announces it. They are
   * copied and replayed on setEpoch (dropping them would deadlock a synchronous round, since reliable
   * messages are never resent). Per sender at most this many model-sized vectors are held: an honest
   * peer sends at most one round's worth (OSGP: tau + 1 rounds) before it needs our reply.
   */
  heldVectorsPerSender: 2,
  /**
   * AD-PSGD: a passive peer whose exchange stalled (the runtime called `stalled()`: no complete
   * reply within its stall limit) is not asked again for this many requests times the number of
   * candidates, so a silent neighbour costs its requesters one stall now and then, not one every
   * few steps; then it is asked again (it may have been only slow). Each further stall in a row
   * doubles the wait, at most adpsgdSilentMaxDoublings times (a complete exchange resets it).
   */
  adpsgdSilentSkipRounds: 4,
  adpsgdSilentMaxDoublings: 6,
  /** Messages more than this many epochs ahead are rejected instead of held. */
  maxEpochLead: 4,
} as const;
