// Runs Restate for the benchmark: the SDK endpoint with a `counter` virtual
// object in this process, and restate-server (from npm) as a child, storing
// in TENON_BENCH_DATA_DIR. Registers the endpoint, then prints
// "READY <ingress url>".
import { spawn } from "node:child_process";
import { createServer } from "node:net";

// The SDK uses Promise.withResolvers (Node 22); this machine runs Node 20.
Promise.withResolvers ??= () => {
	let resolve;
	let reject;
	const promise = new Promise((yes, no) => {
		resolve = yes;
		reject = no;
	});
	return { promise, resolve, reject };
};
const restate = await import("@restatedev/restate-sdk");

const dataDir = process.env.TENON_BENCH_DATA_DIR;
if (!dataDir) throw new Error("TENON_BENCH_DATA_DIR is required");

const counter = restate.object({
	name: "counter",
	handlers: {
		// State changes are journaled by restate-server; the response leaves
		// after the invocation's journal and state are in its durable log.
		increment: async (ctx) => {
			const count = ((await ctx.get("count")) ?? 0) + 1;
			ctx.set("count", count);
			return count;
		},
	},
});
const idle = restate.object({
	name: "idle",
	handlers: { touch: async (ctx) => (await ctx.get("n")) ?? 0 },
});

const servicePort = await restate.serve({ services: [counter, idle], port: 0, logger: () => {} });

function freePort() {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}
const [ingress, admin, node] = [await freePort(), await freePort(), await freePort()];
// The platform package's binary itself (the npm bin is a Node wrapper).
const binary = new URL(
	`../node_modules/@restatedev/restate-server-${process.platform}-${process.arch}/bin/restate-server`,
	import.meta.url,
).pathname;
const server = spawn(binary, ["--no-logo", "--listen-mode", "tcp", "--base-dir", dataDir], {
	env: {
		...process.env,
		RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingress}`,
		RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${admin}`,
		RESTATE_BIND_ADDRESS: `127.0.0.1:${node}`,
		RESTATE_DISABLE_TELEMETRY: "true",
		RESTATE_LOG_FILTER: "error",
	},
	stdio: ["ignore", "ignore", "inherit"],
});
server.once("exit", (code) => {
	process.stderr.write(`restate-server exited (${code})\n`);
	process.exit(1);
});
process.once("SIGTERM", () => {
	server.removeAllListeners("exit");
	server.once("exit", () => process.exit(0));
	server.kill("SIGTERM");
});

const deadline = Date.now() + 60_000;
async function until(check) {
	for (;;) {
		try {
			if (await check()) return;
		} catch (error) {
			if (process.env.TENON_BENCH_DEBUG) console.error(error);
		}
		if (Date.now() > deadline) throw new Error("restate-server did not become ready");
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}
const timeout = () => AbortSignal.timeout(2_000);
await until(
	async () => (await fetch(`http://127.0.0.1:${admin}/health`, { signal: timeout() })).ok,
);
await until(
	async () =>
		(
			await fetch(`http://127.0.0.1:${admin}/deployments`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				signal: timeout(),
				body: JSON.stringify({ uri: `http://127.0.0.1:${servicePort}`, force: true }),
			})
		).ok,
);
const ingressUrl = `http://127.0.0.1:${ingress}`;
await until(
	async () =>
		(await fetch(`${ingressUrl}/counter/ready/increment`, { method: "POST", signal: timeout() }))
			.ok,
);
process.stdout.write(`READY ${ingressUrl}\n`);
