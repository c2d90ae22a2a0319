import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard calls `/api` on its own origin. In development Vite's server forwards it to the
 * gateway of `npm start` (GATEWAY_URL to point elsewhere); in every other mode the server that
 * serves `dist/` does (nginx in the image, the launcher on 8080).
 */
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { '/api': { target: gateway, changeOrigin: false } },
  },
  preview: {
    port: 4173,
    proxy: { '/api': { target: gateway, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline module preload polyfill script: the content security policy allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
