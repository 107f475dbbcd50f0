// Builds the inspector web app (`npm run build:inspector`) into
// packages/tenon/inspector-dist, which is committed and ships with the
// package: the server serves it at /inspector/ without a build step.
import { join } from "node:path";
import { defineConfig } from "vite";

const root = import.meta.dirname;

export default defineConfig({
	root,
	// Relative asset paths: the app works under any base path the server is mounted at.
	base: "./",
	logLevel: "warn",
	esbuild: { jsx: "automatic" },
	build: {
		outDir: join(root, "..", "inspector-dist"),
		emptyOutDir: true,
		// No inline module-preload polyfill: the page's CSP allows no inline script.
		modulePreload: { polyfill: false },
		assetsInlineLimit: 0,
	},
});
