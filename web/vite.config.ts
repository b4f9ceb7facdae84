import { defineConfig } from "vite";

// Everything is bundled into dist/: the dashboard needs no CDN at run time.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "/api": "http://127.0.0.1:8480", "/readyz": "http://127.0.0.1:8480" } },
});
