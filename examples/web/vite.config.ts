import { defineConfig } from "vite";

// Relative asset paths: the built files work from any folder of any static server.
export default defineConfig({
  base: "./",
  server: { port: 5173 },
});
