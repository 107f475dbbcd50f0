// What a client can do to `/metrics` (an attacker review, 2026-11-26): every label value a
// request can reach comes from the registry or a fixed set, so thousands of distinct names,
// keys, ids, queues and bad requests add no series; and the text shows nothing a client sent
// (keys, ids, connection params, tokens). Regression tests: no bug was found here.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const ADMIN = "metrics-hostile-admin-token-0123456789";
const SECRET = "client-secret-Zq7Xw3Vv9Tt1";

const box = actor({
	state: { n: 0 },
	queues: { jobs: queue<string>() },
	actions: { inc: (c) => ++c.state.n },
});

/** The sample lines of a scrape (no HELP/TYPE). */
async function samples(url: string): Promise<string[]> {
	const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
	expect(response.status).toBe(200);
	return (await response.text()).split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

function post(url: string, headers: Record<string, string> = {}, body = '{"args":[]}') {
	return fetch(url, {
		method: "POST",
		headers: { "content-type": "application/json", ...headers },
		body,
	}).then((response) => response.text());
}

/** One round of hostile requests, `tag` making every name, key and id distinct. */
async function hostileRound(base: string, tag: string): Promise<void> {
	const ws = base.replace("http", "ws");
	const long = "z".repeat(200);
	const q = "rvt-method=getOrCreate";
	const params = { "x-rivet-conn-params": JSON.stringify({ token: SECRET }) };
	await Promise.all([
		// Unknown actions on a known actor, unknown actors, unknown ids, fresh keys.
		post(`${base}/gateway/box/action/${tag}-${long}?${q}&rvt-key=a`, params),
		post(`${base}/gateway/nope-${tag}/action/inc?${q}&rvt-key=a`),
		post(`${base}/gateway/${tag}0123456789abcdef/action/inc`),
		post(`${base}/gateway/box@${SECRET}/action/inc?rvt-key=${tag}&${q}`),
		post(`${base}/gateway/box/action/inc?${q}&rvt-key=${SECRET}-${tag}`, params),
		// Unknown queues, malformed bodies, bad keys and params.
		post(`${base}/gateway/box/queue/${tag}?${q}&rvt-key=a`, {}, '{"body":"x"}'),
		post(`${base}/gateway/box/action/inc?${q}&rvt-key=a`, {}, `{"args":[${tag}`),
		post(`${base}/gateway/box/action/inc?${q}&rvt-key=%FF${tag}`),
		post(`${base}/gateway/box/action/inc?${q}&rvt-key=a`, { "x-rivet-conn-params": `{${tag}` }),
	]);
	// Unknown actions on a connection.
	const socket = await rawSocket(`${ws}/gateway/box/connect?${q}&rvt-key=a`, [
		"rivet",
		"rivet_encoding.json",
	]);
	await expect.poll(() => socket.messages.length).toBe(1);
	for (let id = 0; id < 5; id++) {
		const request = { tag: "ActionRequest", val: { id, name: `${tag}-${id}-${long}`, args: [] } };
		socket.ws.send(JSON.stringify({ body: request }));
	}
	await expect.poll(() => socket.messages.length).toBe(6);
	socket.ws.close();
}

describe("/metrics under hostile requests", () => {
	it("grows no series with a client's names, keys and ids, and shows none of them", async () => {
		await using t = await setupTest(
			setup({ use: { box }, storage: memoryDriver(), admin: { token: ADMIN }, logLevel: "silent" }),
		);
		// Two rounds make every series a hostile request can reach; later rounds add none.
		await hostileRound(t.url, "warm-a");
		await hostileRound(t.url, "warm-b");
		const before = await samples(t.url);
		for (let round = 0; round < 20; round++) await hostileRound(t.url, `r${round}`);
		const after = await samples(t.url);
		// Tenon's series (the process's, such as GC kinds, come and go on their own).
		const names = (lines: string[]) =>
			lines
				.filter((line) => line.startsWith("tenon_"))
				.map((line) => line.replace(/ [^ ]+$/, ""))
				.sort();
		expect(names(after)).toEqual(names(before));
		const text = after.join("\n");
		for (const leaked of [SECRET, "nope-", "r19", "0123456789abcdef", "zzzz"]) {
			expect(text).not.toContain(leaked);
		}
		// The calls to unknown names are counted, under one label value.
		const unknown = after.filter((line) =>
			line.startsWith('tenon_actions_total{actor="box",action="(unknown)"'),
		);
		expect(unknown.map((line) => line.split("transport=")[1]?.split('"')[1]).sort()).toEqual([
			"http",
			"websocket",
		]);
	});
});
