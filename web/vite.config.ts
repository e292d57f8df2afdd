import { defineConfig } from 'vitest/config';

// The pages are served by the api itself (api/src/pages/), which embeds `dist/` at compile
// time: hashed names under /assets/ are cached for a year, index.html is revalidated.
// `npm run dev` proxies the API to a local api on 8080.
export default defineConfig({
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    // No inline assets: the Content-Security-Policy allows scripts and styles from 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'happy-dom',
  },
});
