import { Uplink } from '../packages/transport/src/uplink';
let now = 0;
const timers: [number, () => void][] = [];
const u = new Uplink<number>({ shape: { uplinkBytesPerSec: 20000, latencyMs: 20 }, burstBytes: 16384, clock: { now: () => now, at: (t, fn) => timers.push([t, fn]) }, size: (f) => f, deliver: (to, f) => console.log('deliver', now.toFixed(3), to, f), drained: (to) => console.log('drained', now.toFixed(3), to) });
for (let i = 0; i < 3; i++) u.enqueue(1, 10000);
u.enqueue(2, 5000);
let n = 0;
while (timers.length > 0 && n++ < 50) {
  timers.sort((a, b) => a[0] - b[0]);
  const [t, fn] = timers.shift()!;
  now = Math.max(now, t);
  fn();
}
console.log('timers left', timers.length, 'iterations', n);
