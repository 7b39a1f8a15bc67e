import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

/**
 * Maps URL paths to files under a root directory without ever leaving it: '..' segments, encoded
 * separators, NUL bytes and symlinks pointing outside are all refused.
 */

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Why a URL path cannot name a file, or null when it is clean. */
export function unsafePathReason(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return 'malformed percent-encoding';
  }
  if (!decoded.startsWith('/')) return 'path must start with /';
  if (decoded.includes('\0')) return 'NUL byte in path';
  if (decoded.includes('\\')) return 'backslash in path';
  if (decoded.split('/').some((seg) => seg === '..' || seg === '.')) return 'dot segment in path';
  return null;
}

/** The regular file `urlPath` names under `root`, or null (missing, a directory, or unsafe). */
export async function resolveFile(root: string, urlPath: string): Promise<string | null> {
  if (unsafePathReason(urlPath) !== null) return null;
  const base = resolve(root);
  const full = resolve(base, `.${decodeURIComponent(urlPath)}`);
  if (!isInside(base, full)) return null;
  try {
    const [realBase, realFull] = await Promise.all([realpath(base), realpath(full)]);
    if (!isInside(realBase, realFull)) return null;
    return (await stat(realFull)).isFile() ? realFull : null;
  } catch {
    return null;
  }
}

function isInside(base: string, full: string): boolean {
  return full.startsWith(base.endsWith(sep) ? base : base + sep);
}

/** Routes of a single-page app: the last segment has no file extension ('/run/3', not '/app.js'). */
export function looksLikeAppRoute(urlPath: string): boolean {
  const last = urlPath.slice(urlPath.lastIndexOf('/') + 1);
  return !last.includes('.');
}
