// A free-text `conn.disconnect(reason)` as the client reads it: a reason was read as
// `group.code` at its first dot ("see https://example.com/rules" became group
// "see https://example", code "com/rules"), and one without a dot ended the connection with
// no error at all: onError never heard it and later calls failed with client/connection_lost,
// where the docs promise the error that ended it (a walkthrough, 2026-11-28). A reason that
// is not `group.code` is now actor/disconnect, its message the reason.
import { expect, it } from "vitest";
import { type ActorError, createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const lobby = actor({
	state: {},
	createConnState: () => ({}),
	actions: {
		ping: () => "pong",
		kick: (c, reason: string) => {
			c.conn.disconnect(reason);
		},
	},
});
const registry = setup({ use: { lobby }, logLevel: "silent" });

it.each([
	["see https://example.com/rules", "actor", "disconnect"],
	["kicked for cheating", "actor", "disconnect"],
	["game.over", "game", "over"],
])("a disconnect with reason %j ends the connection with %s/%s", async (reason, group, code) => {
	await using t = await setupTest(registry);
	const client = createClient<typeof registry>({ endpoint: t.url });
	const conn = client.lobby.getOrCreate(["l"]).connect();
	const heard: ActorError[] = [];
	conn.onError((error) => heard.push(error as ActorError));
	expect(await conn.ping()).toBe("pong");
	await conn.kick(reason).catch(() => {});
	await expect.poll(() => conn.connStatus).toBe("idle");
	expect(heard.map((e) => `${e.group}/${e.code}`)).toEqual([`${group}/${code}`]);
	expect(heard[0]?.message).toContain(reason);
	await expect(conn.ping()).rejects.toMatchObject({ group, code });
	await client.dispose();
});
