import type { ValidationIssue } from '@starling/protocol';

/** A bad server option, tuning override or run config file; the message says which and how to fix it. */
export class ServerConfigError extends Error {
  override readonly name = 'ServerConfigError';
  constructor(
    message: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(message);
  }
}
