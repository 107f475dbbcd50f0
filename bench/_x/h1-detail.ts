import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { startBundled } from "../lib/process.js";

const CONNS = Number(process.argv[2] ?? 10_000);
const ACTORS = CONNS / 10;
const which = process.argv[3] ?? "tenon";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const servers = join(import.meta.dirname, "..", "servers");
const server =
	which === "tenon"
		? await startBundled(
				join(servers, "tenon.ts"),
				{
					TENON_DATA_DIR: mkdtempSync(join(tmpdir(), "h1-")),
					TENON_LOG_LEVEL: "error",
					TENON_BENCH_LOBBY_SLEEP_MS: "300",
				},
				["--expose-gc", ...(process.argv[4] ? process.argv[4].split(" ") : [])],
			)
		: await startBundled(join(servers, "floor-ws.ts"), {}, ["--expose-gc"]);
const memoryUrl = /MEMORY (\S+)/.exec(server.output)?.[1] ?? "";
const detail = async (q = "") =>
	(await (await fetch(`${memoryUrl}/memory-detail${q}`)).json()) as any;
function open(key: string): Promise<WebSocket> {
	const url =
		which === "tenon"
			? `${server.url.replace(/^http/, "ws")}/gateway/lobby/connect?rvt-method=getOrCreate&rvt-key=${key}`
			: server.url;
	const socket = new WebSocket(url, which === "tenon" ? ["rivet", "rivet_encoding.json"] : [], {
		perMessageDeflate: false,
	});
	return new Promise((resolve, reject) => {
		if (which === "tenon")
			socket.on("message", (d) => {
				if (JSON.parse(d.toString()).body.tag === "Init") resolve(socket);
			});
		else socket.once("open", () => resolve(socket));
		socket.once("error", reject);
	});
}
async function openMany(count: number, actors: number) {
	const out: WebSocket[] = [];
	for (let s = 0; s < count; s += 64)
		out.push(
			...(await Promise.all(
				Array.from({ length: Math.min(64, count - s) }, (_, i) => open(`h-${(s + i) % actors}`)),
			)),
		);
	return out;
}
if (which === "tenon") {
	const warm = await openMany(ACTORS, ACTORS);
	for (const w of warm) w.close();
	await sleep(800);
}
const a = await detail();
const socks = await openMany(CONNS, ACTORS);
if (which === "tenon") {
	for (;;) {
		const s = (await (
			await fetch(`${server.url}/inspector/sockets`, {
				headers: { authorization: "Bearer bench-inspector-token" },
			})
		).json()) as any;
		if (s.hibernated >= CONNS) break;
		await sleep(100);
	}
} else await sleep(1000);
const b = await detail();
const rss0 = server.rss();
await sleep(Number(process.env.IDLE_MS ?? 15000));
const idle = server.rss();
const idleDetail = await detail();
console.log(
	`server rss per conn right after: ${((rss0 - a.usage.rss) / CONNS / 1024).toFixed(2)} after idle (no forced gc): ${((idle - a.usage.rss) / CONNS / 1024).toFixed(2)} after idle + gc: ${((idleDetail.usage.rss - a.usage.rss) / CONNS / 1024).toFixed(2)} old physical ${((idleDetail.spaces.find((x: any) => x.name === "old_space").physical - a.spaces.find((x: any) => x.name === "old_space").physical) / CONNS / 1024).toFixed(2)}`,
);
const c = await detail("?gc=last-resort");
const per = (x: number) => (x / CONNS / 1024).toFixed(2);
console.log(`${which}: per connection KiB`);
console.log(
	`rss ${per(b.usage.rss - a.usage.rss)} (after last-resort ${per(c.usage.rss - a.usage.rss)}) heapUsed ${per(b.usage.heapUsed - a.usage.heapUsed)} heapTotal ${per(b.usage.heapTotal - a.usage.heapTotal)} external ${per(b.usage.external - a.usage.external)} arrayBuffers ${per(b.usage.arrayBuffers - a.usage.arrayBuffers)}`,
);
for (const sp of b.spaces) {
	const o = a.spaces.find((x: any) => x.name === sp.name);
	const l = c.spaces.find((x: any) => x.name === sp.name);
	if (Math.abs(sp.physical - o.physical) > 50_000)
		console.log(
			`  ${sp.name}: used ${per(sp.used - o.used)} physical ${per(sp.physical - o.physical)} (last-resort physical ${per(l.physical - o.physical)})`,
		);
}
console.log(
	`  rssAnon ${per(b.rssAnon - a.rssAnon)} rssFile ${per(b.rssFile - a.rssFile)}; non-heap anon ≈ ${per(b.rssAnon - a.rssAnon - (b.spaces.reduce((s: number, x: any) => s + x.physical, 0) - a.spaces.reduce((s: number, x: any) => s + x.physical, 0)))}`,
);
for (const s of socks) s.close();
await server.stop();
process.exit(0);
