// JSON.parse takes any nesting, and a 60 KB WebSocket frame nests 30,000
// arrays. With a lone surrogate's escape in it, the walk that replaces lone
// surrogates (wellFormedStrings) ran before the depth check and overflowed
// the stack: the frame was answered `core/internal_error`, with no action id
// (the call never got its answer), and logged as a server fault.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { postJson, rawSocket } from "../helpers/raw.js";

const box = actor({
	state: {},
	actions: { kind: (_c, value: unknown) => typeof value, ping: () => "pong" },
});

const registry = setup({ use: { box }, logLevel: "silent" });

const DEPTH = 30_000;
/** An argument nested DEPTH arrays deep, around a lone surrogate's escape. */
const deepArg = `${"[".repeat(DEPTH)}"\\ud800"${"]".repeat(DEPTH)}`;

describe("deeply nested JSON with a lone surrogate", () => {
	it("over a WebSocket: request/invalid_value for that call, and the connection goes on", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/box/connect?rvt-method=getOrCreate&rvt-key=a`;
		const socket = await rawSocket(url, ["rivet", "rivet_encoding.json"]);
		await expect.poll(() => socket.messages.length).toBe(1); // Init
		socket.ws.send(
			`{"body":{"tag":"ActionRequest","val":{"id":1,"name":"kind","args":[${deepArg}]}}}`,
		);
		socket.ws.send(
			JSON.stringify({ body: { tag: "ActionRequest", val: { id: 2, name: "ping", args: [] } } }),
		);
		await expect.poll(() => socket.messages.length).toBe(3);
		const [refused, answered] = socket.decoded().slice(1);
		expect(refused.body.tag).toBe("Error");
		expect(refused.body.val).toMatchObject({
			group: "request",
			code: "invalid_value",
			actionId: 1,
		});
		expect(answered.body).toEqual({ tag: "ActionResponse", val: { id: 2, output: "pong" } });
		socket.ws.close();
	});

	it("over HTTP: request/invalid_value", async () => {
		await using t = await setupTest(registry);
		const answer = await postJson(
			`${t.url}/gateway/box/action/kind?rvt-method=getOrCreate&rvt-key=a`,
			`{"args":[${deepArg}]}`,
		);
		expect(answer.status).toBe(400);
		expect(answer.body).toMatchObject({ group: "request", code: "invalid_value" });
	});
});
