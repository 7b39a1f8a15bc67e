import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { API_PREFIXES } from '../../packages/protocol/src/paths.ts';
import { minifyChunksExcept } from './build/minify-chunks.ts';

// The server (apps/server) serves the built app from dist/ next to the API, so one origin holds
// the page, the socket and the data. `npm run dev:web` proxies to a running server instead.
export default defineConfig({
  root: import.meta.dirname,
  // Static assets live at the repository root (public/), shared by every app.
  publicDir: '../../public',
  // TF.js's wasm backend must stay unminified: see build/minify-chunks.ts.
  plugins: [react(), minifyChunksExcept(/tfjs-backend-wasm/)],
  // The training worker (src/training-worker.ts) is its own bundle, minified the same way.
  worker: { format: 'es', plugins: () => [minifyChunksExcept(/tfjs-backend-wasm/)] },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096, minify: false /* minifyChunksExcept does it */ },
  server: {
    // Everything that is not the web app goes to the server (STARLING_SERVER, default :8080).
    proxy: Object.fromEntries(
      API_PREFIXES.map((p) => [p.slice(0, -1), { target: process.env.STARLING_SERVER ?? 'http://localhost:8080', ws: p === '/socket.io/', secure: false }]),
    ),
  },
});
