// A connection resumed after its socket was lost does not keep subscriptions to events with a
// `canSubscribe` check: the client subscribes to them again, through the check. A refused check
// also drops a subscription the connection kept. Before 2026-11-29 (an attacker probe) a user
// removed from the check's list while her socket was lost (out of `c.conns`: no `disconnect()`
// reached her) resumed, was refused `auth/forbidden` on subscribing again, and still got the
// events.
import { expect, it } from "vitest";
import { actor, event, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const vault = actor({
	state: { admins: ["ada"] as string[] },
	events: {
		secret: event<string>({
			canSubscribe: (c) => c.state.admins.includes((c.conn.state as { user: string }).user),
		}),
		news: event<string>(),
	},
	createConnState: (_c, params: { user: string } | undefined) => ({ user: params?.user ?? "" }),
	actions: {
		revoke: (c, user: string) => {
			c.state.admins = c.state.admins.filter((admin) => admin !== user);
		},
		emit: (c) => {
			c.broadcast("secret", "TOP-SECRET");
			c.broadcast("news", "hello");
		},
	},
});
const registry = setup({ use: { vault }, logLevel: "silent" });

it("checks a gated subscription again when a lost socket's connection resumes", async () => {
	await using t = await setupTest(registry);
	const url = `${t.url.replace(/^http/, "ws")}/gateway/vault/connect?rvt-method=getOrCreate&rvt-key=v`;
	const params = `rivet_conn_params.${encodeURIComponent(JSON.stringify({ user: "ada" }))}`;
	const token = `rivet_conn_token.${"s".repeat(40)}`;
	const subscribe = (eventName: string) =>
		JSON.stringify({ body: { tag: "SubscriptionRequest", val: { eventName, subscribe: true } } });
	const events = (socket: { decoded(): { body: { tag: string; val: { name?: string } } }[] }) =>
		socket
			.decoded()
			.filter((m) => m.body.tag === "Event")
			.map((m) => m.body.val.name);

	const first = await rawSocket(url, ["rivet", "rivet_encoding.json", params, token]);
	await expect.poll(() => first.decoded().length).toBe(1);
	const connectionId = first.decoded()[0].body.val.connectionId as string;
	first.ws.send(subscribe("secret"));
	first.ws.send(subscribe("news"));
	const handle = t.client.vault.getOrCreate("v");
	await expect
		.poll(async () => {
			await handle.emit();
			return events(first).includes("secret");
		})
		.toBe(true);
	// Lost, not closed: the connection waits for its client, out of `c.conns`.
	first.ws.terminate();
	await handle.revoke("ada");

	const again = await rawSocket(url, [
		"rivet",
		"rivet_encoding.json",
		params,
		token,
		`rivet_conn.${connectionId}`,
	]);
	await expect.poll(() => again.decoded().length).toBe(1);
	expect(again.decoded()[0].body.val.connectionId).toBe(connectionId);
	// Not subscribed again: the ungated event still comes, the gated one does not.
	await handle.emit();
	await expect.poll(() => events(again)).toContain("news");
	expect(events(again)).not.toContain("secret");
	// Subscribing again is refused, and nothing comes.
	again.ws.send(subscribe("secret"));
	await expect.poll(() => again.decoded().some((m) => m.body.tag === "Error")).toBe(true);
	await handle.emit();
	await expect.poll(() => events(again).filter((name) => name === "news").length).toBe(2);
	expect(events(again)).not.toContain("secret");
	again.ws.close();
});

it("drops a subscription its check refuses when asked again", async () => {
	await using t = await setupTest(registry);
	const url = `${t.url.replace(/^http/, "ws")}/gateway/vault/connect?rvt-method=getOrCreate&rvt-key=w`;
	const params = `rivet_conn_params.${encodeURIComponent(JSON.stringify({ user: "ada" }))}`;
	const subscribe = JSON.stringify({
		body: { tag: "SubscriptionRequest", val: { eventName: "secret", subscribe: true } },
	});
	const socket = await rawSocket(url, ["rivet", "rivet_encoding.json", params]);
	await expect.poll(() => socket.decoded().length).toBe(1);
	const secrets = () =>
		socket.decoded().filter((m) => m.body.tag === "Event" && m.body.val.name === "secret").length;
	socket.ws.send(subscribe);
	const handle = t.client.vault.getOrCreate("w");
	await expect
		.poll(async () => {
			await handle.emit();
			return secrets() > 0;
		})
		.toBe(true);
	await handle.revoke("ada");
	socket.ws.send(subscribe);
	await expect.poll(() => socket.decoded().some((m) => m.body.tag === "Error")).toBe(true);
	const before = secrets();
	await handle.emit();
	await new Promise((resolve) => setTimeout(resolve, 100));
	expect(secrets()).toBe(before);
	socket.ws.close();
});
