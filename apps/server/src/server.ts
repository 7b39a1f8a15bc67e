import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunConfig } from '@starling/protocol';
import { Server } from 'socket.io';
import { defaultWasmDir, SERVER_TUNING, ServerConfigError, type ServerOptions } from './config';
import { DatasetService, packedMnistLoader, type SplitsLoader } from './datasets';
import { createRequestHandler } from './http';
import { makeRunId, Run } from './run';
import { SignalingHub, type IoServer } from './signaling';

export interface StartOptions {
  options: ServerOptions;
  runConfig: RunConfig;
  /** Where the MNIST splits come from (default: the packed files in options.dataDir). */
  loader?: SplitsLoader;
  /** Unix time in ms (default Date.now); tests inject one to age peers. */
  clock?: () => number;
  log?: (line: string) => void;
}

export interface RunningServer {
  /** http://host:port, with the port actually bound (port 0 picks a free one). */
  url: string;
  port: number;
  run: Run;
  hub: SignalingHub;
  data: DatasetService;
  close(): Promise<void>;
}

/** HTTP + socket.io for one run, listening when the promise resolves. */
export async function startServer(o: StartOptions): Promise<RunningServer> {
  const log = o.log ?? ((line: string) => console.log(line));
  const { options, runConfig } = o;
  const run = new Run(runConfig.runId ?? makeRunId(new Date()), runConfig);
  const data = new DatasetService(o.loader ?? packedMnistLoader(options.dataDir, log), runConfig.shards, runConfig.seed);

  let hub: SignalingHub | undefined;
  const http = createServer(
    createRequestHandler({
      run,
      data,
      setRunState: (u) => hub!.setRunState(u),
      webDist: options.webDist,
      wasmDir: options.wasmDir ?? defaultWasmDir(),
      log,
    }),
  );
  const io: IoServer = new Server(http, { serveClient: false, maxHttpBufferSize: SERVER_TUNING.maxHttpBufferSize });
  hub = new SignalingHub(io, run, { clock: o.clock, log });

  await new Promise<void>((ready, fail) => {
    const onError = (e: NodeJS.ErrnoException) => {
      hub!.close();
      const where = `${options.host}:${options.port}`;
      if (e.code === 'EADDRINUSE') fail(new ServerConfigError(`${where} is already in use; stop the other server or pick another --port`));
      else if (e.code === 'EACCES') fail(new ServerConfigError(`no permission to listen on ${where}; use a port above 1023`));
      else fail(e);
    };
    http.once('error', onError);
    http.listen(options.port, options.host, () => {
      http.off('error', onError);
      ready();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((done) => {
      hub!.close();
      // Closes every socket.io connection and the HTTP server.
      void io.close(() => done());
      http.closeAllConnections();
    });
    return closing;
  };
  return { url, port, run, hub, data, close };
}
