export * from './contract';
export * from './blocks';
export * from './rng';
export * from './errors';
