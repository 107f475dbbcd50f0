// With a clientToken set, every actor-to-actor call (`c.client()`) failed
// auth/unauthorized: the server's own in-process calls carry no token, and the
// check asked them for one (a review, 2026-11-29). Now the server's own calls
// pass it; the network still needs the token, and so do calls a fallback makes
// for its caller (`callerClient`: that caller showed no token).
import { afterAll, beforeAll, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, memoryDriver, setup, type TenonServer } from "../../src/index.js";

const TOKEN = "client-token-of-this-test-0123456789";
const target = actor({ state: { n: 0 }, actions: { bump: (c) => ++c.state.n } });
const caller = actor({
	state: {},
	actions: {
		overHttp: (c): Promise<number> => c.client<typeof registry>().target.getOrCreate("t").bump(),
		overSocket: async (c): Promise<number> => {
			const conn = c.client<typeof registry>().target.getOrCreate("t").connect();
			try {
				return await conn.bump();
			} finally {
				await conn.dispose();
			}
		},
	},
});
const registry = setup({ use: { target, caller }, clientToken: TOKEN, logLevel: "silent" });
let server: TenonServer;

beforeAll(async () => {
	server = await registry.start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
		fallback: async (request, info) => {
			if (new URL(request.url).pathname !== "/for-caller" || info.callerClient === undefined)
				return undefined;
			const bumped = await info
				.callerClient<typeof registry>()
				.target.getOrCreate("t")
				.bump()
				.catch((error: { group: string; code: string }) => `${error.group}/${error.code}`);
			return Response.json(bumped);
		},
	});
});
afterAll(async () => {
	await server?.close();
});

it("lets the server's own actors call each other, and no one without the token", async () => {
	const client = createClient<typeof registry>({
		endpoint: server.url,
		headers: { authorization: `Bearer ${TOKEN}` },
	});
	const anonymous = createClient<typeof registry>(server.url);
	try {
		expect(await client.caller.getOrCreate("c").overHttp()).toBe(1);
		expect(await client.caller.getOrCreate("c").overSocket()).toBe(2);
		await expect(anonymous.target.getOrCreate("t").bump()).rejects.toMatchObject({
			group: "auth",
			code: "unauthorized",
		});
		// The cluster's headers do not make a network request internal, nor let it skip the token.
		const forged = await fetch(
			`${server.url}/gateway/target/action/bump?rvt-method=getOrCreate&rvt-key=t`,
			{
				method: "POST",
				headers: { "content-type": "application/json", "x-tenon-internal": "1" },
				body: JSON.stringify({ args: [] }),
			},
		);
		expect(forged.status).toBe(401);
		const peer = await fetch(
			`${server.url}/gateway/target/action/bump?rvt-method=getOrCreate&rvt-key=t`,
			{
				method: "POST",
				headers: {
					"content-type": "application/json",
					"x-tenon-internal": "1",
					"x-tenon-peer": "a guess",
				},
				body: JSON.stringify({ args: [] }),
			},
		);
		expect(peer.status).toBe(403);
		// A fallback's calls for its caller need the token as the caller's own would.
		expect(await (await fetch(`${server.url}/for-caller`)).json()).toBe("auth/unauthorized");
	} finally {
		await client.dispose();
		await anonymous.dispose();
	}
});
