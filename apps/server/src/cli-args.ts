import { parseArgs } from 'node:util';
import { DEFAULT_STUN, parseServerOptions, ServerConfigError, type ServerOptions, type ServerOptionsInput } from './config';

export const USAGE = `usage: npx tsx apps/server/src/main.ts [options]
  --config FILE          run config JSON (defaults for every missing field)
  --port N               HTTP/socket.io port (default 8080; 0 picks a free one)
  --host ADDR            interface to bind (default 127.0.0.1; 0.0.0.0 for the LAN)
  --data-dir DIR         packed MNIST and the run database (default .data)
  --db FILE              SQLite database (default DATA-DIR/starling.db)
  --admin-token T        admin token for run control (default: env STARLING_ADMIN_TOKEN, else random)
  --new-run              start a fresh run even if the last one is unfinished (it becomes 'interrupted')
  --web-dist DIR         built web app to serve (default apps/web/dist)
  --wasm-dir DIR         TF.js wasm binaries (default: from @tensorflow/tfjs-backend-wasm)
  --tuning FILE          JSON overriding server tunables (limits, timeouts; see SERVER_TUNING)
  --trust-proxy A,B      reverse proxy addresses whose X-Forwarded-For names the client (default: none)
  --server-config FILE   JSON with any of these options as camelCase keys (flags given here win)
  --tls-cert FILE        PEM certificate chain: serve HTTPS/WSS (with --tls-key)
  --tls-key FILE         PEM private key of --tls-cert
  --stun URL,URL|none    STUN servers for the peers (default ${DEFAULT_STUN})
  --turn URL,URL         TURN servers (coturn with use-auth-secret); peers get time-limited credentials
  --turn-secret-file F   the TURN server's static-auth-secret (or env STARLING_TURN_SECRET)
  --turn-ttl SECONDS     lifetime of a TURN credential (default 86400; refreshed every half of it)
  --redis URL            share the swarm with the other server processes on this Redis (same --data-dir)
  --advertise URL        how the other processes reach this one (default: its listening address)
  --help                 print this`;

export type CliResult = { help: true } | { help: false; options: ServerOptions; given: ServerOptionsInput };

const list = (v: string | boolean | undefined): string[] | undefined =>
  typeof v === 'string' ? (v.trim() === 'none' ? [] : v.split(',').map((a) => a.trim()).filter(Boolean)) : undefined;

function int(flag: string, v: string | boolean | undefined, max: number): number | undefined {
  if (typeof v !== 'string') return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) > max) throw new ServerConfigError(`--${flag} must be an integer 0-${max}, got '${v}'`);
  return Number(v);
}

/**
 * Parse argv (without node and script) and the environment; throws ServerConfigError naming the bad
 * flag. `given` holds only what the command line set (a --server-config file fills in the rest).
 */
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
        'server-config': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        stun: { type: 'string' },
        turn: { type: 'string' },
        'turn-secret-file': { type: 'string' },
        'turn-ttl': { type: 'string' },
        redis: { type: 'string' },
        advertise: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    throw new ServerConfigError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help === true) return { help: true };
  const raw: Record<string, unknown> = {
    port: int('port', values.port, 65_535),
    host: values.host,
    dataDir: values['data-dir'],
    webDist: values['web-dist'],
    wasmDir: values['wasm-dir'],
    configFile: values.config,
    dbFile: values.db,
    adminToken: (values['admin-token'] as string | undefined) ?? (env.STARLING_ADMIN_TOKEN || undefined),
    newRun: values['new-run'] === true ? true : undefined,
    tuningFile: values.tuning,
    trustProxy: list(values['trust-proxy']),
    serverConfigFile: values['server-config'],
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    stun: list(values.stun),
    turnUrls: list(values.turn),
    turnSecretFile: values['turn-secret-file'],
    turnSecret: env.STARLING_TURN_SECRET || undefined,
    turnTtlSeconds: int('turn-ttl', values['turn-ttl'], 7 * 24 * 3600),
    redis: values.redis,
    advertiseUrl: values.advertise,
  };
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as ServerOptionsInput;
  // With a server config file the options are validated once it is merged in (main.ts).
  return { help: false, options: parseServerOptions(given.serverConfigFile === undefined ? given : { serverConfigFile: given.serverConfigFile }), given };
}
