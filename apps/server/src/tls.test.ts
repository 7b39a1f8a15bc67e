import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATHS, type WelcomePayload } from '@starling/protocol';
import { ServerConfigError } from './errors';
import type { RunningServer } from './server';
import { startTestServer } from './test-support';

/**
 * --tls-cert / --tls-key: the server speaks HTTPS and socket.io over WSS with the owner's
 * certificate (a throwaway self-signed one made by openssl here), and refuses a key that does not
 * belong to the certificate at start-up with a message naming both files.
 */

const dir = mkdtempSync(join(tmpdir(), 'starling-tls-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
const otherKey = join(dir, 'other-key.pem');

function selfSigned(certFile: string, keyFile: string): void {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
}

function getJson(url: string, ca: Buffer): Promise<{ status: number; body: unknown; protocol: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      const protocol = (res.socket as { encrypted?: boolean }).encrypted ? 'tls' : 'plain';
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), protocol }));
    })
      .on('error', reject)
      .end();
  });
}

let server: RunningServer;

beforeAll(async () => {
  selfSigned(cert, key);
  selfSigned(join(dir, 'other-cert.pem'), otherKey);
  server = await startTestServer({}, { options: { tlsCert: cert, tlsKey: key } });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTPS and WSS with --tls-cert / --tls-key', () => {
  it('serves the API over TLS with the given certificate', async () => {
    expect(server.url).toMatch(/^https:\/\//);
    const res = await getJson(`${server.url}${PATHS.health}`, readFileSync(cert));
    expect(res.status).toBe(200);
    expect(res.protocol).toBe('tls');
  });

  it('a peer joins over WSS and gets its welcome', async () => {
    const socket = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, ca: readFileSync(cert, 'utf8') });
    try {
      const welcome = await new Promise<WelcomePayload>((resolve, reject) => {
        socket.once('connect_error', reject);
        socket.once('welcome', resolve);
        socket.emit('hello', { role: 'peer', backend: 'wasm' });
      });
      expect(welcome.peerId).toBeGreaterThanOrEqual(0);
    } finally {
      socket.close();
    }
  });

  it('a client that does not trust the certificate cannot connect', async () => {
    await expect(getJson(`${server.url}${PATHS.health}`, Buffer.from(''))).rejects.toThrow(/self.signed|certificate/i);
  });

  it('refuses a key that is not the certificate\'s at start-up, naming both files', async () => {
    const bad = startTestServer({}, { options: { tlsCert: cert, tlsKey: otherKey } });
    await expect(bad).rejects.toThrow(ServerConfigError);
    await expect(bad).rejects.toThrow(/cert\.pem.*other-key\.pem.*not a usable pair/);
  });

  it('refuses a missing certificate file at start-up', async () => {
    await expect(startTestServer({}, { options: { tlsCert: join(dir, 'missing.pem'), tlsKey: key } })).rejects.toThrow(/missing\.pem/);
  });
});
