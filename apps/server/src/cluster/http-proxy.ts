import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { errorBody } from '../http-util';

/**
 * A process that does not own the run passes the run's HTTP API (and its data) on to the process
 * that does, so every process answers every URL: the dashboard and the peers may reach any of them
 * (a load balancer picks). The owner learns the client's address from a header it believes only
 * with the cluster's shared secret (`CLUSTER_HEADERS`), so per-address limits count the real client.
 */

export const CLUSTER_HEADERS = {
  /** The client's address as the forwarding process saw it. */
  client: 'x-starling-cluster-client',
  /** The cluster secret: proves the request came from a process of the cluster. */
  auth: 'x-starling-cluster-auth',
} as const;

/** Hop-by-hop headers (RFC 9110 7.6.1) are the connection's own, never passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', CLUSTER_HEADERS.client, CLUSTER_HEADERS.auth]);

export interface ProxyOptions {
  /** The owner's base URL (http: or https:). */
  target: string;
  /** The client's address as this process resolved it. */
  clientAddress: string;
  clusterSecret: string;
  /** Certificate the owner presents when the cluster speaks HTTPS: trusted as is (every process has the same one). */
  ca?: string | Buffer;
  /** Nothing heard from the owner for this long: 504. */
  timeoutMs: number;
  onError: (e: Error) => void;
}

export function proxyRequest(req: IncomingMessage, res: ServerResponse, o: ProxyOptions): void {
  const target = new URL(req.url ?? '/', o.target);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  headers[CLUSTER_HEADERS.client] = o.clientAddress;
  headers[CLUSTER_HEADERS.auth] = o.clusterSecret;
  const https = target.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  const upstream = send(target, {
    method: req.method,
    headers,
    timeout: o.timeoutMs,
    // Every process serves the same certificate, issued for the public name: pin it, skip the name.
    ...(https ? { ca: o.ca, checkServerIdentity: () => undefined } : {}),
  });
  const fail = (status: number, message: string, e?: Error) => {
    if (e) o.onError(e);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify(errorBody('unavailable', message));
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Retry-After': '1' });
    res.end(body);
  };
  upstream.on('response', (up) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    res.writeHead(up.statusCode ?? 502, out);
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
  upstream.on('error', (e) => {
    const timedOut = e.message === 'timeout';
    fail(timedOut ? 504 : 503, timedOut ? 'the process that owns the run did not answer in time' : 'the process that owns the run is not reachable now (it may be changing); retry in a moment', e);
  });
  req.on('aborted', () => upstream.destroy());
  req.pipe(upstream);
}
