// A fallback (the app's own routes beside Tenon's) gets the client's address and the key
// Tenon's per-address limits count it under, for limits of its own per client (the examples'
// demo sign-in counts new guests per key), and a client of the server's actors made for
// that client (`callerClient`, in-process: the actors see the client's address).
import { expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";

const seen = actor({
	state: {},
	createConnState: (c) => ({ address: c.request?.remoteAddress, internal: c.request?.internal }),
	actions: { who: (c) => c.conn.state },
});

it("a fallback gets the client's address beside the request", async () => {
	const infos: unknown[] = [];
	const registry = setup({ use: { seen }, logLevel: "silent" });
	const server = await registry.start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
		fallback: async (request, info) => {
			infos.push(info);
			const path = new URL(request.url).pathname;
			if (path === "/who" && info.callerClient !== undefined) {
				return Response.json(
					await info.callerClient<typeof registry>().seen.getOrCreate("k").who(),
				);
			}
			return path === "/mine" ? new Response("ok") : undefined;
		},
	});
	try {
		expect(await (await fetch(`${server.url}/mine`)).text()).toBe("ok");
		expect((await fetch(`${server.url}/other`)).status).toBe(404);
		const local = { remoteAddress: "127.0.0.1", clientKey: "127.0.0.1" };
		expect(infos).toMatchObject([local, local]);
		// The actor sees the fallback's client, as if it had called itself: not internal.
		expect(await (await fetch(`${server.url}/who`)).json()).toEqual({
			address: "127.0.0.1",
			internal: false,
		});
	} finally {
		await server.close();
	}
});
