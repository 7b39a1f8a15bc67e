/** Every tunable and constant of the data layer, in one place. */
export const DATA_CONFIG = {
  /** Byte features are pixels: the model sees value / 255 (the training package's pixelScale). */
  byteScale: 1 / 255,
  /** Non-IID split: classes each shard holds when neither option is given. */
  defaultClassesPerShard: 2,
  /**
   * Dirichlet split: redraw until every shard holds at least this many examples (clipped to
   * floor(examples / shards)), since small alpha easily leaves a shard empty.
   */
  dirichletMinShardSize: 10,
  /** Dirichlet split: give up (with an error naming the fix) after this many redraws. */
  dirichletMaxAttempts: 200,
  /** Streams are dealt to shards in segments of this many tokens (IID: shuffled segments). */
  streamSegment: 4096,
} as const;
