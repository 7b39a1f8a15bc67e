/**
 * Wire codec throughput: encode (validate + copy) and decode (validate + finite check) of 16 KiB and
 * 64 KiB payloads in both dtypes, plus encodeInto with a reused buffer.
 *
 *   npx tsx apps/cli/src/bench-wire.ts
 */
import { MsgKind, Rng, type Message, type Payload } from '@starling/core';
import { decodeFrame, encodeFrame, encodeInto, frameSize, dtypeOf, WIRE_CONFIG } from '@starling/wire';

const MIN_MS = 400;

function timeIt(fn: () => void): { opsPerSec: number } {
  for (let i = 0; i < 50; i++) fn(); // warm up the JIT
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < MIN_MS) {
    for (let i = 0; i < 100; i++) fn();
    ops += 100;
    t = performance.now();
  }
  return { opsPerSec: (ops * 1000) / (t - t0) };
}

function makeMessage(data: Payload): Message {
  const rng = new Rng(7);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { kind: MsgKind.RfastV, from: 3, epoch: 1, seq: 42, block: 5, offset: 5 * data.length, aux: 1, data };
}

const rows: string[][] = [['payload', 'dtype', 'elements', 'encode MB/s', 'encodeInto MB/s', 'decode MB/s']];
let sink = 0;
for (const payloadBytes of [16 * 1024, 64 * 1024]) {
  for (const ctor of [Float32Array, Float64Array]) {
    const msg = makeMessage(new ctor(payloadBytes / ctor.BYTES_PER_ELEMENT));
    const frame = encodeFrame(msg);
    const target = new Uint8Array(frameSize(dtypeOf(msg.data), msg.data.length));
    const mb = frame.byteLength / 1e6;
    const enc = timeIt(() => {
      sink += encodeFrame(msg).byteLength;
    });
    const encInto = timeIt(() => {
      sink += encodeInto(msg, target);
    });
    const dec = timeIt(() => {
      sink += decodeFrame(frame).data.length;
    });
    rows.push([
      `${payloadBytes / 1024} KiB`,
      ctor === Float32Array ? 'f32' : 'f64',
      String(msg.data.length),
      (enc.opsPerSec * mb).toFixed(0),
      (encInto.opsPerSec * mb).toFixed(0),
      (dec.opsPerSec * mb).toFixed(0),
    ]);
  }
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c])).join('  '));
console.log(`(MB = 10^6 bytes of frame; max frame ${WIRE_CONFIG.maxFrameBytes} bytes; node ${process.version}; checksum ${sink % 1000})`);
