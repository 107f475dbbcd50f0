// An attacker who may edit one Yjs document tries to keep the event loop
// busy: updates of 15 new clients each typing at the same place (every later
// insert there scans them all), shrunk to whatever the cost estimate lets
// through, sent again after every `retryAfterMs`, over HTTP (no connection
// bucket). Meanwhile an honest editor of another document keeps editing.
// With `spread`, the attacker moves to a new document after every refusal
// (each new one has full buckets of its own, and used to cost one ~2 s stall).
// Prints the loop's stalls and fails (exit 1) when, after the first two
// updates, a stall exceeds 600 ms or stalls over 50 ms take more than 40%
// of the time: the guards of src/yjs/apply-budget.ts and update-cost.ts
// hold it near 250 ms and a quarter of the loop.
//   npm run probe:yjs [-- seconds [spread]]   (default 60; not part of npm test)
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { yjsActor } from "../../src/yjs/index.js";
import { conflictingInserts, updateMessage } from "../yjs/fixtures.js";

const seconds = Number(process.argv[2] ?? 60);
const spread = process.argv[3] === "spread";

function smallEdit(): Uint8Array {
	const doc = new Y.Doc();
	doc.getText("notes").insert(0, "h");
	return updateMessage(Y.encodeStateAsUpdate(doc));
}

const doc = yjsActor({});
await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
const started = performance.now();
const stalls: { at: number; ms: number }[] = [];
let last = performance.now();
const ticker = setInterval(() => {
	const now = performance.now();
	if (now - last > 70) stalls.push({ at: now, ms: now - last - 20 });
	last = now;
}, 20);
const honest = t.client.doc.getOrCreate("good").connect();
let documents = 0;
let attacker = t.client.doc.getOrCreate("evil-0");
let perClient = 300;
let seed = 1;
let accepted = 0;
let discoveredAt = Number.POSITIVE_INFINITY;
let honestWorst = 0;
while (performance.now() - started < seconds * 1000) {
	try {
		await attacker.yjsSync(updateMessage(conflictingInserts(perClient, seed++)));
		if (++accepted === 2) discoveredAt = performance.now();
	} catch (error) {
		const { code, metadata } = error as {
			code?: string;
			metadata?: {
				estimatedMs?: number;
				estimatedVisits?: number;
				limit?: number;
				retryAfterMs?: number;
			};
		};
		if (spread && code !== undefined) {
			attacker = t.client.doc.getOrCreate(`evil-${++documents}`);
			perClient = 300;
		} else if (code === "yjs_update_too_complex" && metadata?.estimatedMs)
			perClient = Math.max(1, Math.floor((perClient * 225) / metadata.estimatedMs));
		else if (code === "yjs_update_too_complex" && metadata?.estimatedVisits && metadata.limit)
			perClient = Math.max(
				1,
				Math.floor((perClient * 0.9 * metadata.limit) / metadata.estimatedVisits),
			);
		else if (code === "yjs_busy")
			await new Promise((resolve) => setTimeout(resolve, metadata?.retryAfterMs ?? 100));
		else throw error;
	}
	const sent = performance.now();
	await honest.yjsSync(smallEdit());
	honestWorst = Math.max(honestWorst, performance.now() - sent);
}
clearInterval(ticker);
await honest.dispose();

const after = stalls.filter((stall) => stall.at > discoveredAt + 1_000);
const worstAfter = Math.max(0, ...after.map((stall) => stall.ms));
const busyShare =
	after.reduce((sum, stall) => sum + stall.ms, 0) /
	Math.max(1, performance.now() - Math.min(discoveredAt, performance.now()));
const worstAll = stalls
	.map((stall) => stall.ms)
	.sort((a, b) => b - a)
	.slice(0, 3);
console.log(
	`${accepted} costly updates accepted in ${seconds} s (last ${perClient * 15} items each` +
		`${spread ? `, over ${documents + 1} documents` : ""}); ` +
		`worst stalls ${worstAll.map((ms) => ms.toFixed(0)).join(", ")} ms; after discovery: worst ` +
		`${worstAfter.toFixed(0)} ms, ${(busyShare * 100).toFixed(0)}% of the time in stalls; ` +
		`honest editor of another document: worst call ${honestWorst.toFixed(0)} ms`,
);
if (worstAfter > 600 || busyShare > 0.4) {
	console.log("FAIL: the apply budget did not hold");
	process.exitCode = 1;
}
