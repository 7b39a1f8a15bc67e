/**
 * Real external services for tests and benchmarks: a `redis-server` and a coturn `turnserver`, each
 * installed on first use (scripts/ensure-*.sh, Debian packages), started on a free loopback port
 * with nothing persisted, and killed by `stop()` (tests call it in their after-hooks; a test run
 * that dies leaves them to the OS, since each also exits with its parent's stdin).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer as createTcpServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECOMMENDED_REDIS_PUBSUB_LIMIT } from '../apps/server/src/cluster/node';

const here = dirname(fileURLToPath(import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export interface Service {
  /** Everything the service printed, for failure messages. */
  log(): string;
  /** SIGTERM, then SIGKILL; resolves once the process is gone. */
  stop(): Promise<void>;
  readonly pid: number;
}

export interface RedisService extends Service {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
}

export interface TurnService extends Service {
  /** turn:127.0.0.1:PORT?transport=udp */
  url: string;
  port: number;
  /** coturn's static-auth-secret (TURN REST API credentials are derived from it). */
  secret: string;
  /** Successful allocations coturn has logged so far, with the TURN username each used. */
  allocations(): { username: string }[];
}

/** Installs a Debian package's binary when missing (needs root, as CI has); returns its path. */
function ensure(script: string): string {
  return execFileSync('bash', [join(here, script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1)!;
}

/** A TCP port free on 127.0.0.1 now (the service binds it a moment later). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A port free for both UDP and TCP on 127.0.0.1 (a TURN listener takes both). */
async function freeUdpTcpPort(): Promise<number> {
  for (;;) {
    const port = await freeTcpPort();
    const free = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function launch(bin: string, args: string[], ready: RegExp, what: string): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start in ${START_TIMEOUT_MS} ms:\n${out.slice(-3000)}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      if (!ready.test(out)) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({ child, log: () => out });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${out.slice(-3000)}`));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/**
 * A throwaway redis-server: loopback only, no persistence, no protected-mode surprises, and the
 * pub/sub output limit a Starling cluster needs (Redis's default 32 MiB cut a server process off
 * its channel at 500 clients on two processes: bench-load.ts --processes 2).
 */
export async function startRedis(): Promise<RedisService> {
  const bin = ensure('ensure-redis.sh');
  const port = await freeTcpPort();
  const { child, log } = await launch(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice', '--client-output-buffer-limit', RECOMMENDED_REDIS_PUBSUB_LIMIT],
    /Ready to accept connections/,
    'redis-server',
  );
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid!, log, stop: stopper(child) };
}

/**
 * A coturn TURN server relaying between loopback addresses only: listening and relaying on
 * 127.0.0.1 (`allow-loopback-peers`, which coturn refuses by default), TURN REST API credentials
 * (`use-auth-secret` + a fresh random `static-auth-secret`), plain UDP/TCP only (no TLS/DTLS
 * listeners, no certificates needed), no telnet CLI, logging to stdout.
 */
export async function startTurn(): Promise<TurnService> {
  const bin = ensure('ensure-coturn.sh');
  const port = await freeUdpTcpPort();
  const secret = randomBytes(24).toString('hex');
  const { child, log } = await launch(
    bin,
    [
      '-n', // no config file
      '-v', // logs each allocation with its username
      '--userdb', join(tmpdir(), `starling-turn-${port}.sqlite`), // not the system's /var/lib/turn/turndb
      '--listening-ip', '127.0.0.1',
      '--relay-ip', '127.0.0.1',
      '--listening-port', String(port),
      '--allow-loopback-peers',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm', 'starling.test',
      '--fingerprint',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--no-software-attribute',
      '--log-file', 'stdout',
      '--simple-log',
      '--pidfile', join(tmpdir(), `starling-turn-${port}.pid`),
    ],
    /Total (General|UDP|TCP) servers|IPv4\. UDP listener opened on/,
    'turnserver',
  );
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    port,
    secret,
    pid: child.pid!,
    log,
    allocations: () => [...log().matchAll(/user <([^>]*)>: incoming packet ALLOCATE processed, success/g)].map((m) => ({ username: m[1] })),
    stop: stopper(child),
  };
}
