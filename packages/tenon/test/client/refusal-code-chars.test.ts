// A connection refused with a UserError whose code is not a word (`token:expired`) ends with
// that error: the stricter reading of close reasons (2026-11-28) no longer took
// "user.token:expired" as group.code, the server's error frame was ignored, and calls failed
// with client/connection_lost (a review, 2026-11-28).
import { expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const gated = actor({
	state: {},
	onBeforeConnect: () => {
		throw new UserError("your token expired", { code: "token:expired" });
	},
	createConnState: () => ({}),
	actions: { ping: () => "pong" },
});
const registry = setup({ use: { gated }, logLevel: "silent" });

it("a refusal whose user code has a ':' ends the connection with that error", async () => {
	await using t = await setupTest(registry);
	const client = createClient<typeof registry>({ endpoint: t.url });
	const conn = client.gated.getOrCreate(["g"]).connect();
	await expect(conn.ping()).rejects.toMatchObject({ group: "user", code: "token:expired" });
	await client.dispose();
});
