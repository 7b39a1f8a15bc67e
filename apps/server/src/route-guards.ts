import { checkAdmin } from './admin';
import { PATHS } from '@starling/protocol';
import type { RequestContext } from './http-context';
import { HttpError } from './http-util';

/** Checks shared by the routes: the admin token and run ids from the path. */

/** Throws 401/403 unless the request carries the admin token. */
export function requireAdmin(ctx: RequestContext, allowQuery = false): void {
  const auth = checkAdmin(ctx.deps.adminToken, ctx.req.headers, ctx.query, allowQuery);
  if (!auth.ok) {
    throw new HttpError(auth.status, auth.code, auth.message, auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="starling"' } : {});
  }
}

/** The run id if the database knows it, else 404. */
export function knownRun(ctx: RequestContext, runId: string): string {
  if (!ctx.deps.store.runs.has(runId)) throw new HttpError(404, 'unknown-run', `no run '${runId.slice(0, 80)}'; GET ${PATHS.runs} lists them`);
  return runId;
}
