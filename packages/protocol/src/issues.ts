import type { z } from 'zod';

/** One reason an input was refused, with the dotted path of the offending field ('' = the root). */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Outcome of validating untrusted input: never throws. */
export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** 'shards.count', 'model.hidden[1]', '' for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function issuesFromZod(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** One line per issue: "path: message" (or "(root): message"). */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path === '' ? '(root)' : i.path}: ${i.message}`).join('; ');
}

/** Validate with a schema, returning a result instead of throwing. */
export function validateWith<S extends z.ZodType>(schema: S, input: unknown): Validation<z.output<S>> {
  const r = schema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: issuesFromZod(r.error) };
}
