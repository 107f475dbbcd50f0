// Web pages in a real browser for tests: a page built with Vite (its
// `tenon` imports resolved to the sources), served from its own origin, and
// Debian's Chromium driven by playwright-core.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { build } from "vite";

const CHROMIUM = process.env.TENON_CHROMIUM ?? "/usr/bin/chromium";
const TYPES: Record<string, string> = {
	".html": "text/html",
	".js": "text/javascript",
	".css": "text/css",
	".svg": "image/svg+xml",
};

/** A built page, served on its own origin. */
export interface ServedPage extends AsyncDisposable {
	readonly origin: string;
	close(): Promise<void>;
}

/** How a page is built. */
export interface BuildPageOptions {
	/**
	 * Vite's mode; default `production`. `development` bundles React's
	 * development build, which checks hooks (e.g. that `getSnapshot` is cached)
	 * and reports what it finds with `console.error`.
	 */
	mode?: "development" | "production";
}

/** Builds the Vite page in `root` and serves it on 127.0.0.1 (another origin than the server's). */
export async function buildAndServePage(
	root: string,
	options: BuildPageOptions = {},
): Promise<ServedPage> {
	const outDir = mkdtempSync(join(tmpdir(), "tenon-page-"));
	const mode = options.mode ?? "production";
	await build({
		root,
		base: "./",
		mode,
		// React picks its build by process.env.NODE_ENV, which a Vite build sets to production.
		...(mode === "development"
			? { define: { "process.env.NODE_ENV": JSON.stringify("development") } }
			: {}),
		logLevel: "silent",
		configFile: false,
		esbuild: { jsx: "automatic" },
		resolve: { conditions: ["tenon-source", "module", "browser", "development|production"] },
		build: { outDir, emptyOutDir: true, minify: false },
	});
	const server = createServer((req, res) => {
		const path = normalize(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
		const file = join(outDir, path === "" ? "index.html" : path);
		if (!file.startsWith(outDir) || !existsSync(file)) {
			res.statusCode = 404;
			res.end();
			return;
		}
		res.setHeader("content-type", TYPES[extname(file)] ?? "application/octet-stream");
		res.end(readFileSync(file));
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const close = async () => {
		await new Promise((resolve) => server.close(resolve));
		rmSync(outDir, { recursive: true, force: true });
	};
	return {
		origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		close,
		[Symbol.asyncDispose]: close,
	};
}

/** Debian's Chromium, headless (fails with how to install it when missing). */
export async function launchChromium(): Promise<Browser> {
	if (!existsSync(CHROMIUM)) {
		throw new Error(
			`Chromium not found at ${CHROMIUM}: install it with 'apt-get install chromium' (or set TENON_CHROMIUM)`,
		);
	}
	return chromium.launch({
		executablePath: CHROMIUM,
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--no-first-run",
			"--disable-sync",
			"--disable-background-networking",
			"--disable-component-update",
		],
	});
}

/**
 * A fixed address in front of a test server whose port changes on
 * `restart()`: each TCP connection is piped to wherever `target()` points
 * now, so a browser page keeps one endpoint across restarts.
 */
export async function stableEndpoint(target: () => string): Promise<ServedPage> {
	const { createServer: createTcpServer, connect } = await import("node:net");
	const sockets = new Set<import("node:net").Socket>();
	const server = createTcpServer((client) => {
		const url = new URL(target());
		const upstream = connect(Number(url.port), url.hostname);
		sockets.add(client);
		sockets.add(upstream);
		client.pipe(upstream).pipe(client);
		const end = () => {
			client.destroy();
			upstream.destroy();
			sockets.delete(client);
			sockets.delete(upstream);
		};
		client.on("error", end).on("close", end);
		upstream.on("error", end).on("close", end);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const close = async () => {
		for (const socket of sockets) socket.destroy();
		await new Promise((resolve) => server.close(resolve));
	};
	return {
		origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		close,
		[Symbol.asyncDispose]: close,
	};
}
