/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

// Builds the live wall (web/) into dist/web, which the app serves at `/`.
export default defineConfig({
  root: 'web',
  base: '/',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
  },
  server: {
    // The wall imports the feed protocol types from src/.
    fs: { allow: [repoRoot] },
  },
  // Vitest reads this file too; its tests live at the repo root, not in web/.
  test: { root: repoRoot },
});
