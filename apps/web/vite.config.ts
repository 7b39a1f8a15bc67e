import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server (apps/server) serves the built app from dist/ next to the API, so one origin holds
// the page, the socket and the data. `npm run dev:web` proxies to a running server instead.
export default defineConfig({
  root: import.meta.dirname,
  // Static assets live at the repository root (public/), shared by every app.
  publicDir: '../../public',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096, minify: false },
  server: {
    proxy: {
      '/socket.io': { target: 'http://localhost:8080', ws: true },
      '/api': 'http://localhost:8080',
      '/data': 'http://localhost:8080',
      '/tfjs-wasm': 'http://localhost:8080',
    },
  },
});
