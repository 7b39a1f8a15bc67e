import { parseArgs } from 'node:util';
import { parseServerOptions, ServerConfigError, type ServerOptions } from './config';

export const USAGE = `usage: npx tsx apps/server/src/main.ts [options]
  --config FILE     run config JSON (defaults for every missing field)
  --port N          HTTP/socket.io port (default 8080; 0 picks a free one)
  --host ADDR       interface to bind (default 127.0.0.1; 0.0.0.0 for the LAN)
  --data-dir DIR    packed MNIST and the run database (default .data)
  --db FILE         SQLite database (default DATA-DIR/starling.db)
  --admin-token T   admin token for run control (default: env STARLING_ADMIN_TOKEN, else random)
  --new-run         start a fresh run even if the last one is unfinished (it becomes 'interrupted')
  --web-dist DIR    built web app to serve (default apps/web/dist)
  --wasm-dir DIR    TF.js wasm binaries (default: from @tensorflow/tfjs-backend-wasm)
  --tuning FILE     JSON overriding server tunables (limits, timeouts; see SERVER_TUNING)
  --trust-proxy A,B reverse proxy addresses whose X-Forwarded-For names the client (default: none)
  --help            print this`;

export type CliResult = { help: true } | { help: false; options: ServerOptions };

/** Parse argv (without node and script) and the environment; throws ServerConfigError naming the bad flag. */
export function parseCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): CliResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'web-dist': { type: 'string' },
        'wasm-dir': { type: 'string' },
        db: { type: 'string' },
        'admin-token': { type: 'string' },
        'new-run': { type: 'boolean' },
        tuning: { type: 'string' },
        'trust-proxy': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    throw new ServerConfigError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help === true) return { help: true };
  const port = values.port as string | undefined;
  if (port !== undefined && !/^\d{1,5}$/.test(port)) {
    throw new ServerConfigError(`--port must be an integer 0-65535, got '${port}'`);
  }
  return {
    help: false,
    options: parseServerOptions({
      port: port === undefined ? undefined : Number(port),
      host: values.host,
      dataDir: values['data-dir'],
      webDist: values['web-dist'],
      wasmDir: values['wasm-dir'],
      configFile: values.config,
      dbFile: values.db,
      adminToken: (values['admin-token'] as string | undefined) ?? (env.STARLING_ADMIN_TOKEN || undefined),
      newRun: values['new-run'] === true,
      tuningFile: values.tuning,
      trustProxy: typeof values['trust-proxy'] === 'string' ? values['trust-proxy'].split(',').map((a) => a.trim()).filter(Boolean) : undefined,
    }),
  };
}
