// A resumed connection keeps the conn state made for its first caller, so
// whoever holds its id and secret used to resume it as that caller with any
// credentials of their own: `onBeforeConnect` saw the new params, never that
// state. It now gets `c.resuming` (the connection's id and state) to compare.
import { describe, expect, it } from "vitest";
import { actor, setup, UserError } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const seen: (string | undefined)[] = [];
const room = actor({
	onBeforeConnect: (c, params: { user: string }) => {
		seen.push(c.resuming?.id);
		if (c.resuming !== undefined && (c.resuming.state as { user: string }).user !== params.user)
			throw new UserError("This connection belongs to another user", { code: "forbidden" });
	},
	createConnState: (_c, params: { user: string }) => ({ user: params.user }),
	actions: { whoami: (c) => c.conn.state.user },
});
const registry = setup({ use: { room }, logLevel: "silent" });

describe("resuming a connection", () => {
	it("lets onBeforeConnect compare the caller with the connection it resumes", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r`;
		const as = (user: string) =>
			`rivet_conn_params.${encodeURIComponent(JSON.stringify({ user }))}`;
		const token = `rivet_conn_token.${"s".repeat(40)}`;
		const whoami = JSON.stringify({
			body: { tag: "ActionRequest", val: { id: 1, name: "whoami", args: [] } },
		});
		const first = await rawSocket(url, ["rivet", "rivet_encoding.json", as("ann"), token]);
		await expect.poll(() => first.decoded().length).toBe(1);
		const connectionId = first.decoded()[0].body.val.connectionId as string;
		expect(seen).toEqual([undefined]);
		// Someone else holding the id and the secret: refused, and ann's socket stays.
		const eve = await rawSocket(url, [
			"rivet",
			"rivet_encoding.json",
			as("eve"),
			token,
			`rivet_conn.${connectionId}`,
		]);
		expect(await eve.closed).toMatchObject({ code: 1008, reason: "user.forbidden" });
		expect(seen).toEqual([undefined, connectionId]);
		first.ws.send(whoami);
		await expect.poll(() => first.decoded().length).toBe(2);
		expect(first.decoded()[1].body).toMatchObject({
			tag: "ActionResponse",
			val: { output: "ann" },
		});
		// Ann herself resumes it.
		const again = await rawSocket(url, [
			"rivet",
			"rivet_encoding.json",
			as("ann"),
			token,
			`rivet_conn.${connectionId}`,
		]);
		await expect.poll(() => again.decoded().length).toBe(1);
		expect(again.decoded()[0].body).toMatchObject({ tag: "Init", val: { connectionId } });
		again.ws.close();
	});
});
