// `npm run fuzz`: a long fuzz campaign (default 1,000,000 inputs) against
// the decoders and a real server over HTTP and WebSocket. Prints the
// figures and exits non-zero on any crash, hang, pollution, unstable error
// or changed data.
//
//   npm run fuzz -- [--inputs N] [--seed S]
import { parseArgs } from "node:util";
import { fuzzDecoders } from "./decoder-fuzz.js";
import { FuzzStats } from "./oracle.js";
import { fuzzHttp, fuzzWebSocket, startFuzzServer } from "./server-fuzz.js";

const { values } = parseArgs({
	options: { inputs: { type: "string" }, seed: { type: "string" } },
});
const total = Number(values.inputs ?? 1_000_000);
const seed = Number(values.seed ?? Date.now() % 1_000_000_000);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

// In-process decoders take most inputs; the server gets a fifth over HTTP and a tenth over WebSocket.
const http = Math.round(total * 0.2);
const ws = Math.round(total * 0.1);
const decoders = total - http - ws;

console.log(`fuzz: ${total.toLocaleString()} inputs, seed ${seed}`);
const all = new FuzzStats();
const decoderStats = fuzzDecoders(decoders, seed);
all.merge(decoderStats);
console.log(`  decoders: ${decoderStats.inputs.toLocaleString()} inputs (${elapsed()})`);

const server = await startFuzzServer();
const [httpStats, wsStats] = await Promise.all([
	fuzzHttp(server.url, http, seed + 1),
	fuzzWebSocket(server.url, ws, seed + 2),
]);
all.merge(httpStats);
all.merge(wsStats);
console.log(
	`  HTTP: ${httpStats.inputs.toLocaleString()} requests; WebSocket: ${wsStats.inputs.toLocaleString()} frames (${elapsed()})`,
);
const { dataIntact } = await server.finish(all);

const seconds = (performance.now() - started) / 1000;
console.log(`
inputs tried   ${all.inputs.toLocaleString()} in ${seconds.toFixed(0)} s (${Math.round(all.inputs / seconds).toLocaleString()}/s)
crashes        ${all.crashes}
hangs          ${all.hangs}
pollution      ${all.pollution}
unstable codes ${all.unstable}
data intact    ${dataIntact ? "yes" : "NO"}
seed           ${seed}
answers        ${[...all.outcomes]
	.sort((a, b) => b[1] - a[1])
	.slice(0, 14)
	.map(([k, v]) => `${k}=${v}`)
	.join(" ")}`);
for (const finding of all.findings) console.log(`  ${finding}`);
process.exit(all.clean && dataIntact ? 0 : 1);
