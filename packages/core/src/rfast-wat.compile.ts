/**
 * Compiles rfastWat() with wabt. Used by the build script and by the test that checks the
 * committed bytes; not part of the package's public face (wabt is a dev dependency).
 */
import wabt from 'wabt';
import { rfastWat } from './rfast-wat';

export async function compileKernels(): Promise<Uint8Array> {
  const w = await wabt();
  const mod = w.parseWat('rfast.wat', rfastWat(), { simd: true });
  try {
    mod.validate();
    return new Uint8Array(mod.toBinary({ write_debug_names: false }).buffer);
  } finally {
    mod.destroy();
  }
}
