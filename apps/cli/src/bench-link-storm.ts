/**
 * Rejoin storms over real @roamhq/wrtc links, to see whether Node's WebRTC survives them (issue 11:
 * headless peers died by SIGSEGV after a server takeover made every peer rejoin at once).
 *
 *   npx tsx apps/cli/src/bench-link-storm.ts [--nodes 4] [--seconds 150] [--gap-ms 400]
 *                                            [--grace-ms 2000] [--no-goodbye]
 *
 * --nodes child processes are fully meshed with WebRtcTransport (the peers' own link class), the
 * parent relaying signals as the signaling server does. Each link sends 16 KiB unreliable frames
 * and 4 KiB reliable ones as fast as its buffer allows, and reads getStats every 200 ms. About
 * every --gap-ms one node starts over: it closes all its links and opens new ones, and each other
 * node hears of it 0-500 ms later, sending on its old link meanwhile. A node killed by a signal is
 * counted and restarted. `--grace-ms 0 --no-goodbye` is the close as it was before the goodbye.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Options {
  nodes: number;
  seconds: number;
  gapMs: number;
  graceMs: number;
  goodbye: boolean;
}

type Msg =
  | { t: 'signal'; gen: number; from: number; to: number; data: unknown }
  | { t: 'reset'; remote: number; gen: number }
  | { t: 'report'; me: number; frames: number }
  | { t: 'init'; me: number; gens: number[]; opts: Options };

function parse(argv: readonly string[]): Options {
  const o: Options = { nodes: 4, seconds: 150, gapMs: 400, graceMs: 2000, goodbye: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--no-goodbye') {
      o.goodbye = false;
      continue;
    }
    const v = Number(argv[++i]);
    const key = ({ '--nodes': 'nodes', '--seconds': 'seconds', '--gap-ms': 'gapMs', '--grace-ms': 'graceMs' } as const)[flag];
    if (!key || !Number.isFinite(v) || v < 0) throw new Error(`bad option ${flag} ${argv[i] ?? ''}: see the header of bench-link-storm.ts`);
    o[key] = v;
  }
  if (o.nodes < 2) throw new Error('--nodes must be at least 2');
  return o;
}

/** One node: links to every other node, sending flat out. */
async function child(): Promise<void> {
  const wrtc = (await import('@roamhq/wrtc')).default;
  const SimplePeer = (await import('simple-peer')).default;
  const { WebRtcTransport, DEFAULT_TUNING } = await import('@starling/peer');
  type Link = { t: InstanceType<typeof WebRtcTransport>; gen: number };
  const createPeer = (o: unknown) => new SimplePeer(o as never) as never;
  let me = -1;
  let opts: Options | null = null;
  const links = new Map<number, Link>();
  const held = new Map<string, unknown[]>();
  const payload = new Uint8Array(16 * 1024);
  let frames = 0;
  const open = (remote: number, gen: number) => {
    links.get(remote)?.t.close('the remote started over', opts!.goodbye);
    const tuning = {
      rtc: { iceServers: [] },
      reliableHighWaterBytes: DEFAULT_TUNING.reliableHighWaterBytes,
      reliableQueueMaxBytes: DEFAULT_TUNING.reliableQueueMaxBytes,
      unreliableLowWaterBytes: DEFAULT_TUNING.slotLowWaterBytes,
      closeGraceMs: opts!.graceMs,
    };
    const t = new WebRtcTransport(remote, me < remote, createPeer, wrtc as never, tuning, (data) => process.send!({ t: 'signal', gen, from: me, to: remote, data } satisfies Msg));
    t.listen({ open: () => undefined, close: () => undefined, frame: () => frames++, control: () => undefined, drain: () => undefined });
    links.set(remote, { t, gen });
    for (const d of held.get(`${remote}/${gen}`) ?? []) t.signal(d);
    held.delete(`${remote}/${gen}`);
  };
  process.on('message', (m: Msg) => {
    if (m.t === 'init') {
      me = m.me;
      opts = m.opts;
      m.gens.forEach((g, r) => r !== me && open(r, g));
    } else if (m.t === 'reset') open(m.remote, m.gen);
    else if (m.t === 'signal') {
      const cur = links.get(m.from);
      if (cur?.gen === m.gen) cur.t.signal(m.data);
      else if (!cur || m.gen > cur.gen) held.set(`${m.from}/${m.gen}`, [...(held.get(`${m.from}/${m.gen}`) ?? []), m.data]);
    }
  });
  setInterval(() => {
    for (const { t } of links.values()) {
      if (!t.isOpen) continue;
      for (let k = 0; k < 8 && t.buffered < 1 << 20; k++) t.sendUnreliable(payload);
      t.sendReliable(payload.subarray(0, 4096));
    }
  }, 5);
  setInterval(() => {
    for (const { t } of links.values()) void t.path();
  }, 200);
  setInterval(() => process.connected && process.send!({ t: 'report', me, frames } satisfies Msg), 1000);
}

async function parent(opts: Options): Promise<void> {
  const kids: ChildProcess[] = [];
  const frames: number[] = new Array(opts.nodes).fill(0);
  const gens: number[][] = Array.from({ length: opts.nodes }, () => new Array(opts.nodes).fill(0));
  let storms = 0;
  let crashes = 0;
  let done = false;
  const self = fileURLToPath(import.meta.url);
  const send = (i: number, m: Msg) => kids[i]?.connected && kids[i].send(m);
  const spawn = (i: number) => {
    const k = fork(self, ['--child'], { execArgv: ['--import', 'tsx'] });
    k.on('exit', (_code, sig) => {
      if (done || !sig) return;
      crashes++;
      console.log(`node ${i} died by ${sig} after ${storms} storms; restarting it`);
      spawn(i);
      for (let y = 0; y < opts.nodes; y++) if (y !== i) gens[i][y] = gens[y][i] = gens[i][y] + 1;
      send(i, { t: 'init', me: i, gens: gens[i], opts });
      for (let y = 0; y < opts.nodes; y++) if (y !== i) send(y, { t: 'reset', remote: i, gen: gens[y][i] });
    });
    k.on('message', (m: Msg) => {
      if (m.t === 'signal') setTimeout(() => send(m.to, m), Math.random() * 10);
      else if (m.t === 'report') frames[m.me] = m.frames;
    });
    kids[i] = k;
  };
  for (let i = 0; i < opts.nodes; i++) spawn(i);
  kids.forEach((_k, i) => send(i, { t: 'init', me: i, gens: gens[i], opts }));
  const storm = () => {
    if (done) return;
    storms++;
    const x = Math.floor(Math.random() * opts.nodes);
    for (let y = 0; y < opts.nodes; y++) {
      if (y === x) continue;
      const g = ++gens[x][y];
      gens[y][x] = g;
      send(x, { t: 'reset', remote: y, gen: g });
      setTimeout(() => send(y, { t: 'reset', remote: x, gen: g }), Math.random() * 500);
    }
    setTimeout(storm, opts.gapMs * (0.5 + Math.random()));
  };
  setTimeout(storm, 3000);
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  done = true;
  const received = frames.reduce((a, b) => a + b, 0);
  console.log(
    `${opts.nodes} nodes, ${opts.seconds} s, ${storms} rejoins, close ${opts.goodbye ? 'with' : 'without'} goodbye, grace ${opts.graceMs} ms: ` +
      `${crashes} crashed; ${received} frames received by the nodes alive at the end`,
  );
  for (const k of kids) k.kill('SIGKILL');
  process.exitCode = crashes > 0 ? 1 : 0;
}

if (process.argv.includes('--child')) void child();
else {
  try {
    await parent(parse(process.argv.slice(2)));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = 2;
  }
}
