/** Every tunable and dataset constant of the MNIST package, in one place. */
export const MNIST_CONFIG = {
  /** Image height and width of MNIST digits. */
  rows: 28,
  cols: 28,
  /** Labels are 0..classes-1; decoders reject anything else. */
  classes: 10,
  /** Expected split sizes; packing refuses IDX files with other counts. */
  trainCount: 60_000,
  testCount: 10_000,
  /** Non-IID split: classes each shard holds when neither option is given. */
  defaultClassesPerShard: 2,
  /**
   * Dirichlet split: redraw until every shard holds at least this many examples (clipped to
   * floor(examples / shards)), since small alpha easily leaves a shard empty.
   */
  dirichletMinShardSize: 10,
  /** Dirichlet split: give up (with an error naming the fix) after this many redraws. */
  dirichletMaxAttempts: 200,
} as const;
