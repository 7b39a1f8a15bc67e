import type { Plugin } from 'vite';
import { minify } from 'rolldown/utils';

/**
 * Minifies every output chunk except those holding a module that `keep` matches.
 *
 * Why not `build.minify`: TF.js's wasm backend starts its threads by sending its Emscripten factory
 * to each worker as source text (`wasmFactoryThreadedSimd.toString()`), and a minified factory
 * refers to names that only exist in the chunk it came from ("e is not defined" in every worker).
 * Skipping that one chunk keeps threads working; minifying the rest cuts the page's main bundle
 * from 3.7 MB to about a third, which four tabs starting on two cores feel (issue 14).
 */
export function minifyChunksExcept(keep: RegExp): Plugin {
  return {
    name: 'starling-minify-chunks',
    apply: 'build',
    enforce: 'post',
    async renderChunk(code, chunk) {
      if (chunk.moduleIds.some((id) => keep.test(id))) return null;
      const out = await minify(chunk.fileName, code, {});
      if (out.errors.length > 0) throw new Error(`minifying ${chunk.fileName}: ${out.errors.map((e) => e.message).join('; ')}`);
      return { code: out.code, map: null };
    },
  };
}
