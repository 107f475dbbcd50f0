// Builds the example web apps (`npm run build:apps`) into ./dist, which is
// committed: `npm start` serves it at /apps/ without a build step.
import { join } from "node:path";
import { defineConfig } from "vite";

const root = import.meta.dirname;

export default defineConfig({
	root,
	base: "/apps/",
	logLevel: "warn",
	esbuild: { jsx: "automatic" },
	// The apps import `tenon` from its sources, like everything in this repository.
	resolve: { conditions: ["tenon-source", "module", "browser", "development|production"] },
	build: {
		outDir: join(root, "dist"),
		emptyOutDir: true,
		rollupOptions: {
			input: {
				index: join(root, "index.html"),
				editor: join(root, "editor", "index.html"),
				board: join(root, "board", "index.html"),
				agent: join(root, "agent", "index.html"),
			},
		},
	},
});
