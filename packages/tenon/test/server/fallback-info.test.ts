// A fallback (the app's own routes beside Tenon's) gets the client's address and the key
// Tenon's per-address limits count it under, for limits of its own per client (the examples'
// demo sign-in counts new guests per key).
import { expect, it } from "vitest";
import { memoryDriver, setup } from "../../src/index.js";

it("a fallback gets the client's address beside the request", async () => {
	const seen: unknown[] = [];
	const server = await setup({ use: {}, logLevel: "silent" }).start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
		fallback: (request, info) => {
			seen.push(info);
			return new URL(request.url).pathname === "/mine" ? new Response("ok") : undefined;
		},
	});
	try {
		expect(await (await fetch(`${server.url}/mine`)).text()).toBe("ok");
		expect((await fetch(`${server.url}/other`)).status).toBe(404);
		const local = { remoteAddress: "127.0.0.1", clientKey: "127.0.0.1" };
		expect(seen).toEqual([local, local]);
	} finally {
		await server.close();
	}
});
