// A fallback (the app's own routes beside Tenon's) gets the client's address, for limits
// of its own per client (the examples' demo sign-in counts new guests per address).
import { expect, it } from "vitest";
import { memoryDriver, setup } from "../../src/index.js";

it("a fallback gets the client's address beside the request", async () => {
	const seen: (string | undefined)[] = [];
	const server = await setup({ use: {}, logLevel: "silent" }).start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
		fallback: (request, { remoteAddress }) => {
			seen.push(remoteAddress);
			return new URL(request.url).pathname === "/mine" ? new Response("ok") : undefined;
		},
	});
	try {
		expect(await (await fetch(`${server.url}/mine`)).text()).toBe("ok");
		expect((await fetch(`${server.url}/other`)).status).toBe(404);
		expect(seen).toEqual(["127.0.0.1", "127.0.0.1"]);
	} finally {
		await server.close();
	}
});
