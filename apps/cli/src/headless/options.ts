/**
 * Command line of the headless peer. Every value is checked here, so a typo is a clear error
 * before anything connects.
 */
import { ATTACKS, type AttackKind } from '@starling/sim';

export const HEADLESS_USAGE = `Usage: npx tsx apps/cli/src/peer.ts [options]

Runs one volunteer peer in Node: the browser's peer runtime, WebRTC from @roamhq/wrtc, TF.js on
WebGPU (through Dawn, on a machine with a Vulkan GPU driver), wasm or cpu, whichever the speed
trial finds fastest. TF.js keeps one backend per process, so run one process per peer.

  --server URL       Starling server to join (default http://localhost:8080)
  --slowdown K       use the CPU K times more slowly than it could, 1-100 (default 1)
  --backends LIST    TF.js backends to time, from webgpu,wasm,cpu (default webgpu,wasm,cpu);
                     webgpu is dropped with a one-line reason when Dawn finds no GPU adapter
  --status-every S   seconds between status lines, 0 for none (default 5)
  --json             status lines as JSON: the full peer status, one object per line
  --hang-seconds S   if the process's event loop is blocked this long (a native call that never
                     returns), say so on stderr and kill the process (exit by SIGKILL) so a
                     supervisor restarts it; 0 turns the watchdog off (default 60)
  --restarts N       run the peer in a child process and start a fresh one (it joins again) when
                     it dies by a signal: a crash in the WebRTC addon, or the watchdog; at most N
                     times, 0 for no supervisor (default 5)
  --attack KIND      TESTING ONLY: act as a hostile volunteer (sign-flip, scale, noise, alie,
                     replay: what each does is in packages/sim/src/attacks.ts), to check that the
                     run's robust mixing and the server's flags hold up against it
  --help             this text`;

export const HEADLESS_DEFAULTS = {
  server: 'http://localhost:8080',
  slowdown: 1,
  maxSlowdown: 100,
  backends: ['webgpu', 'wasm', 'cpu'] as const,
  statusEverySeconds: 5,
  hangSeconds: 60,
  restarts: 5,
} as const;

export type NodeBackend = 'webgpu' | 'wasm' | 'cpu';

export interface HeadlessOptions {
  server: string;
  slowdown: number;
  backends: NodeBackend[];
  statusEverySeconds: number;
  json: boolean;
  /** Event loop blocked this long: the watchdog kills the process (0: no watchdog). */
  hangSeconds: number;
  /** Fresh peer processes after crashes, at most (0: the peer runs in this process). */
  restarts: number;
  /** A hostile peer for robustness tests; null: an honest volunteer. */
  attack: AttackKind | null;
  help: boolean;
}

export class HeadlessUsageError extends Error {
  override name = 'HeadlessUsageError';
}

export function parseHeadlessArgs(argv: readonly string[]): HeadlessOptions {
  const o: HeadlessOptions = {
    server: HEADLESS_DEFAULTS.server,
    slowdown: HEADLESS_DEFAULTS.slowdown,
    backends: [...HEADLESS_DEFAULTS.backends],
    statusEverySeconds: HEADLESS_DEFAULTS.statusEverySeconds,
    json: false,
    hangSeconds: HEADLESS_DEFAULTS.hangSeconds,
    restarts: HEADLESS_DEFAULTS.restarts,
    attack: null,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new HeadlessUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--server':
        o.server = serverUrl(value());
        break;
      case '--slowdown':
        o.slowdown = number(flag, value(), 1, HEADLESS_DEFAULTS.maxSlowdown);
        break;
      case '--backends':
        o.backends = backends(value());
        break;
      case '--status-every':
        o.statusEverySeconds = number(flag, value(), 0, 3600);
        break;
      case '--json':
        o.json = true;
        break;
      case '--hang-seconds':
        o.hangSeconds = number(flag, value(), 0, 86_400);
        break;
      case '--restarts':
        o.restarts = Math.floor(number(flag, value(), 0, 1000));
        break;
      case '--attack': {
        const a = value();
        if (!(ATTACKS as readonly string[]).includes(a)) throw new HeadlessUsageError(`--attack: '${a}' is not one of ${ATTACKS.join(', ')}`);
        o.attack = a as AttackKind;
        break;
      }
      case '--help':
      case '-h':
        o.help = true;
        break;
      default:
        throw new HeadlessUsageError(`unknown option '${flag}'`);
    }
  }
  return o;
}

function serverUrl(s: string): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new HeadlessUsageError(`--server must be a URL like http://localhost:8080, got '${s}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new HeadlessUsageError(`--server must be http or https, got '${u.protocol}'`);
  return u.origin;
}

function number(flag: string, s: string, min: number, max: number): number {
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v) || v < min || v > max) throw new HeadlessUsageError(`${flag} must be a number from ${min} to ${max}, got '${s}'`);
  return v;
}

function backends(s: string): NodeBackend[] {
  const list = s.split(',').map((b) => b.trim());
  for (const b of list) {
    if (b !== 'webgpu' && b !== 'wasm' && b !== 'cpu') throw new HeadlessUsageError(`--backends: '${b}' is not available in Node (use webgpu, wasm and/or cpu)`);
  }
  if (new Set(list).size !== list.length) throw new HeadlessUsageError(`--backends: '${s}' names a backend twice`);
  return list as NodeBackend[];
}
