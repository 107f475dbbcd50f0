// A connection's link to the node that owns its actor ends with
// LINK_HIBERNATE when the actor sleeps there. A message the holder sent just
// before that close reached the owner too late (after its connections were
// suspended, or after the close frame left): the owner drops it unread, and
// the holder dropped it too, so the client's call never got an answer. Found
// as a rare 120 s hang of test/cluster/hibernation.test.ts (its fourth
// `say`, the one message sent right after a linked owner slept; 1 in 25 runs
// under load, 2026-11-28). Real sockets: a scripted owner that ends the link
// with what it was sent unanswered, and a held socket as the holder keeps it.
import { expect, it } from "vitest";
import { LINK_HIBERNATE, linkHibernateReason } from "../../src/runtime/connections/links.js";
import { heldSocket, links, owner, say } from "./link-fixtures.js";

it("holds again what the owner left unanswered as it hibernated, for the next owner", async () => {
	const node = await owner((_message, _reply, end) => end(LINK_HIBERNATE, linkHibernateReason(0)));
	const { socket, toClient, wakes } = heldSocket();
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive(say(4));
	await expect.poll(() => socket.attached).toBe(false);
	// Held again, in order, and the actor woken for it: not lost, not failed.
	expect(node.received).toEqual([say(4)]);
	expect(socket.heldCount).toBe(1);
	expect(wakes).toHaveLength(1);
	expect(toClient).toEqual([]);
});

it("holds again a subscription change the owner did not take, after the actions it did", async () => {
	const node = await owner((message, reply, end) => {
		if (message.tag === "ActionRequest" && message.id === 1)
			reply({ tag: "ActionResponse", id: 1, output: "done" });
		else end(LINK_HIBERNATE, linkHibernateReason(1));
	});
	const { socket, toClient } = heldSocket();
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive(say(1));
	await expect.poll(() => toClient.length).toBe(1);
	socket.receive({ tag: "SubscriptionRequest", eventName: "said", subscribe: true });
	await expect.poll(() => socket.attached).toBe(false);
	// The answered action is not sent again (it ran once); the subscription is.
	expect(socket.heldCount).toBe(1);
	expect(socket.takeHeld()).toEqual([
		{
			kind: "input",
			input: {
				kind: "message",
				message: { tag: "SubscriptionRequest", eventName: "said", subscribe: true },
			},
		},
	]);
});

it("fails, not repeats, what an owner that went away may have run", async () => {
	const node = await owner((_message, _reply, end) => end(1011));
	const { socket, toClient } = heldSocket();
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive(say(7));
	await expect.poll(() => socket.attached).toBe(false);
	expect(socket.heldCount).toBe(0);
	expect(toClient).toHaveLength(1);
	expect(JSON.parse(toClient[0] as string)).toMatchObject({
		body: { tag: "Error", val: { actionId: 7 } },
	});
});

it("sends again only what the owner says it did not take", async () => {
	const node = await owner((message, _reply, end) => {
		// Took the subscription, then went to sleep before the action (which it dropped).
		if (message.tag === "ActionRequest") end(LINK_HIBERNATE, linkHibernateReason(1));
	});
	const { socket, toClient } = heldSocket();
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive({ tag: "SubscriptionRequest", eventName: "said", subscribe: true });
	socket.receive(say(2));
	await expect.poll(() => socket.attached).toBe(false);
	expect(socket.takeHeld()).toEqual([
		{ kind: "input", input: { kind: "message", message: say(2) } },
	]);
	expect(toClient).toEqual([]);
});

it("fails an action the owner took and did not answer before it slept", async () => {
	const node = await owner((message, _reply, end) => {
		if (message.tag === "ActionRequest" && message.id === 2)
			end(LINK_HIBERNATE, linkHibernateReason(2));
	});
	const { socket, toClient } = heldSocket();
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive(say(1));
	socket.receive(say(2));
	await expect.poll(() => socket.attached).toBe(false);
	// Both taken: neither is run again; the unanswered ones fail rather than hang.
	expect(socket.heldCount).toBe(0);
	expect(toClient.map((frame) => JSON.parse(frame).body.val.actionId)).toEqual([1, 2]);
});

it("on the owner, a link's socket drops input while detached, and counts what it took", () => {
	const { socket, wakes } = heldSocket();
	const got: unknown[] = [];
	socket.attach({ receive: (input) => got.push(input), closed: () => {} });
	socket.receive(say(1));
	socket.receive(say(2));
	socket.detach(true);
	socket.receive(say(3));
	expect(socket.taken).toBe(2);
	expect(socket.heldCount).toBe(0);
	expect(wakes).toEqual([]);
	// Released (as a hibernating owner does with a link that was not detached): dropped too.
	const released = heldSocket();
	released.socket.attach({ receive: () => {}, closed: () => {} });
	released.socket.release();
	released.socket.receive(say(4));
	expect(released.socket.heldCount).toBe(0);
	expect(released.wakes).toEqual([]);
	// A client's own socket holds it instead, and wakes the actor for it.
	const own = heldSocket();
	own.socket.attach({ receive: () => {}, closed: () => {} });
	own.socket.detach();
	own.socket.receive(say(3));
	expect(own.socket.heldCount).toBe(1);
	expect(own.wakes).toHaveLength(1);
});

it("from an owner that does not say what it took: fails its unanswered actions, sends the rest again", async () => {
	// A node of an older version closes with a bare reason: its unanswered actions may have run.
	const node = await owner((message, _reply, end) => {
		if (message.tag === "SubscriptionRequest") end(LINK_HIBERNATE, "actor.hibernating");
	});
	const { socket, toClient } = heldSocket();
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive(say(9));
	socket.receive({ tag: "SubscriptionRequest", eventName: "said", subscribe: true });
	await expect.poll(() => socket.attached).toBe(false);
	expect(socket.takeHeld()).toEqual([
		{
			kind: "input",
			input: {
				kind: "message",
				message: { tag: "SubscriptionRequest", eventName: "said", subscribe: true },
			},
		},
	]);
	expect(toClient.map((frame) => JSON.parse(frame).body.val)).toMatchObject([
		{ actionId: 9, group: "actor", code: "unavailable" },
	]);
});

it("lets answers come in any order: only what follows the last taken is sent again", async () => {
	const node = await owner((message, reply, end) => {
		if (message.tag !== "ActionRequest") return;
		if (message.id === 2) {
			reply({ tag: "ActionResponse", id: 2, output: 2 });
			reply({ tag: "ActionResponse", id: 1, output: 1 });
		}
		if (message.id === 3) end(LINK_HIBERNATE, linkHibernateReason(2));
	});
	const { socket, toClient } = heldSocket();
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive(say(1));
	socket.receive(say(2));
	await expect.poll(() => toClient.length).toBe(2);
	socket.receive(say(3));
	await expect.poll(() => socket.attached).toBe(false);
	expect(socket.takeHeld()).toEqual([
		{ kind: "input", input: { kind: "message", message: say(3) } },
	]);
	expect(toClient).toHaveLength(2);
});

it("holds nothing again for a client that left as the link ended", async () => {
	let endLink: (() => void) | undefined;
	const node = await owner((_message, _reply, end) => {
		endLink = () => end(LINK_HIBERNATE, linkHibernateReason(0));
	});
	const { socket, wakes } = heldSocket();
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive(say(2));
	await expect.poll(() => endLink).toBeDefined();
	// The owner's close leaves first; the client goes before it arrives.
	endLink?.();
	socket.closed();
	await expect.poll(() => socket.attached).toBe(false);
	expect(socket.heldCount).toBe(0);
	expect(wakes).toEqual([]);
});
