import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeIssues, validateWith, type HttpErrorBody, type HttpErrorCode } from '@starling/protocol';
import type { z } from 'zod';
import { contentTypeOf } from './static-files';

/** Building blocks of the HTTP routes: typed errors, capped body reading, JSON and file replies. */

/** A request the server refuses; becomes `{ error: { code, message } }` with `status`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorBody(code: HttpErrorCode, message: string): HttpErrorBody {
  return { error: { code, message } };
}

/** The client went away before its request was complete; there is nobody to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  constructor() {
    super('the client closed the connection before its request was complete');
  }
}

/**
 * Feeds the body to `take` chunk by chunk and resolves with its length once it has all arrived.
 * Refuses with `tooLarge()` as soon as more than `maxBytes` arrive, and with ClientGoneError when
 * the client goes away first. It never destroys the request or its socket (the refusal must still
 * be sent on it): the error handler decides what happens to the unread rest (`http.ts`).
 */
export function consumeBody(req: IncomingMessage, maxBytes: number, take: (chunk: Buffer, offset: number) => void, tooLarge: () => HttpError): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let size = 0;
    const settle = (fn: () => void) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onGone);
      req.off('error', onGone);
      fn();
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > maxBytes) {
        req.pause();
        settle(() => reject(tooLarge()));
        return;
      }
      take(chunk, size);
      size += chunk.length;
    };
    const onEnd = () => settle(() => resolve(size));
    const onGone = () => settle(() => reject(new ClientGoneError()));
    if (req.complete && req.readableEnded) return resolve(0);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onGone);
    req.once('error', onGone);
  });
}

/** The whole body, refusing (413) once it passes `maxBytes`. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  const size = await consumeBody(req, maxBytes, (chunk) => chunks.push(chunk), () => tooLarge(maxBytes));
  return Buffer.concat(chunks, size);
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'payload-too-large', `body exceeds ${maxBytes} bytes`);
}

/** A JSON body validated with `schema`; 400 naming each bad field otherwise. */
export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S, maxBytes: number): Promise<z.output<S>> {
  const text = (await readBody(req, maxBytes)).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad-request', 'body is not valid JSON');
  }
  return validated(schema, json, 'body');
}

/** The query as an object validated with `schema` (one value per key; a repeated key is refused). */
export function readQuery<S extends z.ZodType>(query: URLSearchParams, schema: S): z.output<S> {
  const obj: Record<string, string> = {};
  for (const [k, v] of query) {
    if (Object.prototype.hasOwnProperty.call(obj, k)) throw new HttpError(400, 'bad-request', `query parameter '${k.slice(0, 64)}' is repeated`);
    obj[k] = v;
  }
  return validated(schema, obj, 'query');
}

function validated<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const v = validateWith(schema, input);
  if (!v.ok) throw new HttpError(400, 'bad-request', `invalid ${what}: ${describeIssues(v.issues)}`.slice(0, 2000));
  return v.value;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, head = false, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(head ? undefined : text);
}

export function sendBytes(res: ServerResponse, bytes: Uint8Array, head: boolean, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': bytes.byteLength,
    // Run data changes (new split, new checkpoint): never serve a cached copy.
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(head ? undefined : bytes);
}

export async function sendFile(res: ServerResponse, file: string, head: boolean, cacheControl: string): Promise<void> {
  const { size } = await stat(file);
  res.writeHead(200, { 'Content-Type': contentTypeOf(file), 'Content-Length': size, 'Cache-Control': cacheControl });
  if (head) {
    res.end();
    return;
  }
  await new Promise<void>((done, fail) => {
    const stream = createReadStream(file);
    stream.on('error', fail);
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  });
}
