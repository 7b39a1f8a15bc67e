/**
 * Source of R-FAST's WebAssembly SIMD kernels, as WebAssembly text generated from one description
 * per kernel. `npm run build:kernels` compiles it (wabt) into `rfast-wasm.ts`, and a unit test
 * checks that the committed bytes are what this source compiles to.
 *
 * Every kernel computes exactly what its JavaScript twin in rfast-kernels.ts computes, in the same
 * float64 operation order with float32 loads and stores, so the two agree bit for bit (wasm has no
 * implicit fused multiply-add, and f32 demotion rounds to nearest even like Math.fround). SIMD
 * only changes how many lanes run at once: f32 vectors are loaded four lanes at a time and widened
 * into two f64x2 halves; a scalar loop handles the tail.
 *
 * Pointers are byte offsets into the imported memory; n is a count of elements.
 */

type Lane = 'lo' | 'hi' | 's';

interface Kernel {
  name: string;
  /** Pointer parameters in call order, with their element type. */
  ptrs: readonly (readonly [string, 'f32' | 'f64'])[];
  /** Float32 arrays the body reads: loaded once per 4-lane iteration into `$q_<name>`. */
  reads32: readonly string[];
  /** f64 parameters after n, in call order; each also gets a splatted vector `$<name>_v`. */
  scalars: readonly string[];
  /** Statements for one lane group: read with f32/f64/k, store with st32/st64. */
  body: (e: Emit) => string[];
}

interface Emit {
  /** Element of a Float32Array, widened to f64. */
  f32: (p: string) => string;
  f64: (p: string) => string;
  k: (name: string) => string;
  op: (name: 'add' | 'sub' | 'mul', a: string, b: string) => string;
  /**
   * Stores into a Float32Array (rounding to float32) or a Float64Array. `value` builds the value
   * from an emitter for one lane group; a vector store calls it for both f64x2 halves.
   */
  st32: (p: string, value: (e: Emit) => string) => string;
  st64: (p: string, value: (e: Emit) => string) => string;
}

const SWAP_HALVES = 'i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7';
const JOIN_LOWS = 'i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23';

const a32 = (p: string): string => `(i32.add (local.get $${p}) (i32.shl (local.get $i) (i32.const 2)))`;
const a64 = (p: string): string => `(i32.add (local.get $${p}) (i32.shl (local.get $i) (i32.const 3)))`;

/**
 * `loaded` holds the Float32Arrays whose current lanes sit in `$q_<p>` (read at the top of the
 * iteration, or just stored); reading any other one in the vector body would read a stale local,
 * so the generator refuses it rather than emit code that differs from the scalar tail.
 */
function emitter(lane: Lane, width: 2 | 4, loaded: Set<string> = new Set()): Emit {
  const vec = lane !== 's';
  const f32 = (p: string): string => {
    if (!vec) return `(f64.promote_f32 (f32.load ${a32(p)}))`;
    if (!loaded.has(p)) throw new Error(`kernel reads Float32Array '${p}' in the vector body without loading it: add it to reads32`);
    return lane === 'lo' ? `(f64x2.promote_low_f32x4 (local.get $q_${p}))` : `(f64x2.promote_low_f32x4 (${SWAP_HALVES} (local.get $q_${p}) (local.get $q_${p})))`;
  };
  const f64 = (p: string): string => {
    if (!vec) return `(f64.load ${a64(p)})`;
    return lane === 'lo' ? `(v128.load ${a64(p)})` : `(v128.load offset=16 ${a64(p)})`;
  };
  const half = (l: 'lo' | 'hi'): Emit => emitter(l, width, loaded);
  const self: Emit = {
    f32,
    f64,
    k: (name) => (vec ? `(local.get $${name}_v)` : `(local.get $${name})`),
    op: (name, a, b) => `(${vec ? 'f64x2' : 'f64'}.${name} ${a} ${b})`,
    st32: (p, value) => {
      if (!vec) return `(f32.store ${a32(p)} (f32.demote_f64 ${value(self)}))`;
      const stored = `(${JOIN_LOWS} (f32x4.demote_f64x2_zero ${value(half('lo'))}) (f32x4.demote_f64x2_zero ${value(half('hi'))}))`;
      loaded.add(p);
      // The two f64 halves are demoted and joined back into one f32x4; the result is also kept
      // in $q_<p> so a later statement reads the stored (rounded) value, as the scalar path does.
      return (
        `(local.set $q_${p} ${stored})\n` +
        `(v128.store ${a32(p)} (local.get $q_${p}))`
      );
    },
    st64: (p, value) => {
      if (!vec) return `(f64.store ${a64(p)} ${value(self)})`;
      if (width === 2) return `(v128.store ${a64(p)} ${value(half('lo'))})`;
      // Both halves are computed before either is stored, since a half may read p itself.
      return `(local.set $t_lo ${value(half('lo'))})\n(local.set $t_hi ${value(half('hi'))})\n(v128.store ${a64(p)} (local.get $t_lo))\n(v128.store offset=16 ${a64(p)} (local.get $t_hi))`;
    },
  };
  return self;
}

function kernel(kn: Kernel): string {
  const width: 2 | 4 = kn.ptrs.some(([, t]) => t === 'f32') ? 4 : 2;
  const params = [...kn.ptrs.map(([p]) => `(param $${p} i32)`), '(param $n i32)', ...kn.scalars.map((s) => `(param $${s} f64)`)];
  const q = kn.ptrs.filter(([, t]) => t === 'f32').map(([p]) => p);
  const locals = ['(local $i i32)', '(local $end i32)', '(local $t_lo v128)', '(local $t_hi v128)', ...q.map((p) => `(local $q_${p} v128)`), ...kn.scalars.map((s) => `(local $${s}_v v128)`)];
  // The vector body is produced with lane 'lo'; each store asks its value callback for both halves.
  const vecBody = [...kn.reads32.map((p) => `(local.set $q_${p} (v128.load ${a32(p)}))`), ...kn.body(emitter('lo', width, new Set(kn.reads32)))];
  const scalarBody = kn.body(emitter('s', width));
  return `
  (func (export "${kn.name}") ${params.join(' ')}
    ${locals.join(' ')}
    ${kn.scalars.map((s) => `(local.set $${s}_v (f64x2.splat (local.get $${s})))`).join('\n    ')}
    (local.set $end (i32.and (local.get $n) (i32.const ${-width})))
    (block $vdone (loop $vloop
      (br_if $vdone (i32.ge_u (local.get $i) (local.get $end)))
      ${vecBody.join('\n      ')}
      (local.set $i (i32.add (local.get $i) (i32.const ${width})))
      (br $vloop)))
    (block $sdone (loop $sloop
      (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
      ${scalarBody.join('\n      ')}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sloop))))`;
}

/** Steps 1-2 (descendAndMix in rfast-kernels.ts) with k = 0..3 pulled copies a, b, c. */
function descendMix(k: number): Kernel {
  const vh = ['a', 'b', 'c'].slice(0, k);
  return {
    name: `descendMix${k}`,
    ptrs: [['x', 'f32'], ['z', 'f64'], ['v', 'f32'], ['out', 'f32'], ...vh.map((p) => [p, 'f32'] as const)],
    reads32: ['x', ...vh],
    scalars: k === 0 ? ['lr'] : ['lr', 'w'],
    body: (e) => {
      const descend = e.st32('v', (el) => el.op('sub', el.f32('x'), el.op('mul', el.k('lr'), el.f64('z'))));
      // v is read back as stored, i.e. rounded to float32, exactly like the JavaScript kernel.
      if (k === 0) return [descend, e.st32('out', (el) => el.f32('v'))];
      const mix = e.st32('out', (el) => {
        let sum = el.f32('v');
        for (const p of vh) sum = el.op('add', sum, el.f32(p));
        return el.op('mul', el.k('w'), sum);
      });
      return [descend, mix];
    },
  };
}

/** out += w * e: the extra pass for each pulled copy beyond the third. */
const addScaled: Kernel = {
  name: 'addScaled',
  ptrs: [['out', 'f32'], ['e', 'f32']],
  reads32: ['out', 'e'],
  scalars: ['w'],
  body: (e) => [
    e.st32('out', (el) => el.op('add', el.f32('out'), el.op('mul', el.k('w'), el.f32('e')))),
  ],
};

/** Step 3 on one block with k = 1..3 links: z += (an - at) + (bn - bt) + (cn - ct). */
function consume(k: number): Kernel {
  const links = ['a', 'b', 'c'].slice(0, k);
  return {
    name: `consume${k}`,
    ptrs: [['z', 'f64'], ...links.flatMap((p) => [[`${p}n`, 'f64'], [`${p}t`, 'f64']] as const)],
    reads32: [],
    scalars: [],
    body: (e) => [
      e.st64('z', (el) => {
        let mass = el.op('sub', el.f64('an'), el.f64('at'));
        for (const p of links.slice(1)) mass = el.op('add', mass, el.op('sub', el.f64(`${p}n`), el.f64(`${p}t`)));
        return el.op('add', el.f64('z'), mass);
      }),
    ],
  };
}

/**
 * Step 4 (track): z = c (z + (grad - g)); g = grad. R-FAST calls it with c = 1 (multiplying by 1
 * is exact) and pushes at send time (rfast-sends.ts); c stays a parameter so the kernel keeps the
 * operation order of the fused step it replaced.
 */
const track: Kernel = {
  name: 'track',
  ptrs: [['z', 'f64'], ['g', 'f32'], ['grad', 'f32']],
  reads32: ['g', 'grad'],
  scalars: ['c'],
  body: (e) => [
    e.st64('z', (el) => el.op('mul', el.k('c'), el.op('add', el.f64('z'), el.op('sub', el.f32('grad'), el.f32('g'))))),
    e.st32('g', (el) => el.f32('grad')),
  ],
};

/**
 * finite32 / finite64 (p, n) -> 1 when every element is finite, else 0. x * 0 is ±0 for a finite x
 * and NaN otherwise; OR-ing those bit patterns together leaves exponent bits set only if some
 * element was NaN or ±Infinity. Bitwise OR has none of the latency of a floating-point sum.
 */
function finite(bits: 32 | 64): string {
  const [shape, step, shift, mask] = bits === 32 ? ['f32x4', 4, 2, 'i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000'] : ['f64x2', 2, 3, 'i64x2 0x7ff0000000000000 0x7ff0000000000000'];
  const scalar = bits === 32 ? `(i32.reinterpret_f32 (f32.mul (f32.load $ADDR) (f32.const 0)))` : `(i64.reinterpret_f64 (f64.mul (f64.load $ADDR) (f64.const 0)))`;
  const addr = `(i32.add (local.get $p) (i32.shl (local.get $i) (i32.const ${shift})))`;
  const zero = bits === 32 ? 'f32x4 0 0 0 0' : 'f64x2 0 0';
  return `
  (func (export "finite${bits}") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $end i32) (local $acc v128) (local $s i${bits})
    (local.set $end (i32.and (local.get $n) (i32.const ${-step})))
    (block $vdone (loop $vloop
      (br_if $vdone (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $acc (v128.or (local.get $acc) (${shape}.mul (v128.load ${addr}) (v128.const ${zero}))))
      (local.set $i (i32.add (local.get $i) (i32.const ${step})))
      (br $vloop)))
    (block $sdone (loop $sloop
      (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i${bits}.or (local.get $s) ${scalar.replace('$ADDR', addr)}))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sloop)))
    (i32.and
      (i32.eqz (v128.any_true (v128.and (local.get $acc) (v128.const ${mask}))))
      (i${bits}.eqz (i${bits}.and (local.get $s) (i${bits}.const ${bits === 32 ? '0x7f800000' : '0x7ff0000000000000'})))))`;
}

export const KERNELS: readonly Kernel[] = [descendMix(0), descendMix(1), descendMix(2), descendMix(3), addScaled, consume(1), consume(2), consume(3), track];

/** The whole module: one imported memory, the kernels above. */
export function rfastWat(): string {
  return `(module
  (import "env" "memory" (memory 1))${KERNELS.map(kernel).join('\n')}${finite(32)}${finite(64)}
)
`;
}
