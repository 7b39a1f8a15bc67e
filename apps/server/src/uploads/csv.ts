/**
 * A CSV data set: a header row naming the columns, then one example per row, every value a number.
 * The chosen label column is the target (a class index or a real value); the others are features.
 */
import { UploadError } from './errors';

export interface CsvLimits {
  maxRows: number;
  maxColumns: number;
}

export interface CsvTable {
  columns: string[];
  features: Float32Array;
  targets: Float32Array;
  rows: number;
  featureCount: number;
}

export function parseCsv(bytes: Uint8Array, labelColumn: string, limits: CsvLimits): CsvTable {
  const text = Buffer.from(bytes).toString('utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new UploadError('the CSV needs a header row and at least one data row');
  const columns = lines[0].split(',').map((c) => c.trim());
  if (columns.length < 2) throw new UploadError('the CSV needs at least two columns (features and a label), separated by commas');
  if (columns.length > limits.maxColumns) throw new UploadError(`the CSV has ${columns.length} columns, more than the ${limits.maxColumns} allowed`, 413);
  const label = columns.indexOf(labelColumn);
  if (label < 0) throw new UploadError(`the CSV has no column '${labelColumn.slice(0, 64)}'; its columns are ${columns.slice(0, 20).join(', ').slice(0, 300)}`);
  const rows = lines.length - 1;
  if (rows > limits.maxRows) throw new UploadError(`the CSV has ${rows} rows, more than the ${limits.maxRows} allowed`, 413);
  const featureCount = columns.length - 1;
  const features = new Float32Array(rows * featureCount);
  const targets = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    if (cells.length !== columns.length) throw new UploadError(`CSV row ${r + 2} has ${cells.length} values, the header has ${columns.length}`);
    let f = 0;
    for (let c = 0; c < cells.length; c++) {
      const s = cells[c].trim();
      const v = s === '' ? Number.NaN : Number(s);
      if (!Number.isFinite(v)) throw new UploadError(`CSV row ${r + 2}, column '${columns[c].slice(0, 64)}': '${s.slice(0, 40)}' is not a finite number`);
      if (c === label) targets[r] = v;
      else features[r * featureCount + f++] = v;
    }
  }
  return { columns, features, targets, rows, featureCount };
}
