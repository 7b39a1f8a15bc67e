import { createServer } from 'node:net';
import { ServerConfigError } from './errors';

/** The error a failed listen on host:port becomes: the two a user can fix get a message saying how. */
export function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  if (e.code === 'EADDRINUSE') return new ServerConfigError(`${where} is already in use; stop the other server or pick another --port`);
  if (e.code === 'EACCES') return new ServerConfigError(`no permission to listen on ${where}; use a port above 1023`);
  if (e.code === 'EADDRNOTAVAIL') return new ServerConfigError(`${host} is not an address of this machine; pick another --host`);
  return e;
}

/**
 * Binds host:port for a moment and lets it go, so that a busy port is reported before the server's
 * modules (TF.js, SQLite, the tasks) are loaded, which takes seconds. Port 0 always succeeds. The
 * real listen still handles the race where another process takes the port in between.
 */
export function probePort(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise<void>((ready, fail) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => fail(listenError(e, host, port)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => ready()));
  });
}
