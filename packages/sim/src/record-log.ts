/**
 * Keeps records at a fixed virtual-time interval with bounded memory: when `maxRecords` are held,
 * every other one is dropped and the interval doubles, so a run of any length keeps at most
 * `maxRecords` evenly spaced records.
 */
import { SimConfigError } from './errors';
import type { SimRecord } from './types';

export class RecordLog {
  readonly records: SimRecord[] = [];

  constructor(
    private intervalS: number,
    private readonly maxRecords: number,
  ) {
    if (!(intervalS > 0) || !Number.isFinite(intervalS)) {
      throw new SimConfigError(`record.interval must be a positive number of seconds, got ${intervalS}`);
    }
    // Even, so that after halving the kept records stay on the doubled interval's grid.
    if (!Number.isInteger(maxRecords) || maxRecords < 2 || maxRecords % 2 !== 0) {
      throw new SimConfigError(`record.maxRecords must be an even integer >= 2, got ${maxRecords}`);
    }
  }

  /** Current spacing of records, seconds. */
  get interval(): number {
    return this.intervalS;
  }

  push(rec: SimRecord): void {
    if (this.records.length >= this.maxRecords) {
      let k = 0;
      for (let i = 0; i < this.records.length; i += 2) this.records[k++] = this.records[i];
      this.records.length = k;
      this.intervalS *= 2;
    }
    this.records.push(rec);
  }
}
