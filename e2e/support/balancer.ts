import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP load balancer on loopback, standing in for the nginx / HAProxy a deployment puts in front
 * of several server processes: each new connection goes to the next backend in turn
 * ('round-robin'), or to the first backend that accepts it ('failover': a primary and its
 * spares), and a backend that refuses the connection (its process died) is skipped. It works below
 * HTTP, so WebSockets and keep-alive pass through untouched; a connection stays with the backend
 * it was given.
 */
export interface Balancer {
  url: string;
  /** Connections each backend port was given so far. */
  counts(): Map<number, number>;
  close(): Promise<void>;
}

export async function startBalancer(backendPorts: number[], mode: 'round-robin' | 'failover' = 'round-robin'): Promise<Balancer> {
  let next = 0;
  const counts = new Map<number, number>(backendPorts.map((p) => [p, 0]));
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.pause();
    const tryBackend = (attempt: number) => {
      if (attempt >= backendPorts.length) return client.destroy();
      const port = backendPorts[(mode === 'failover' ? attempt : next++) % backendPorts.length];
      const upstream = connect({ port, host: '127.0.0.1' });
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        counts.set(port, (counts.get(port) ?? 0) + 1);
        open.add(upstream);
        upstream.on('close', () => open.delete(upstream));
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      upstream.once('error', () => {
        if (!connected) tryBackend(attempt + 1);
      });
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://localhost:${port}`,
    counts: () => new Map(counts),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
