// A node that holds a client's connection and relays its calls to the node owning the actor
// counts each call's frame with its held request bytes (the node's budget and the client's
// address share) until the owner answers. The owner does not count a link's calls (it does not
// know the client's address), and before 2026-11-29 the holder did not either: a client of a
// relaying node held as much as it liked on both nodes (held-calls.test.ts is the same limit on
// one node). Real sockets: a scripted owner, and a held socket whose transport is the budget.
import { expect, it } from "vitest";
import { ActorError } from "../../src/protocol/errors.js";
import { LINK_HIBERNATE, linkHibernateReason } from "../../src/runtime/connections/links.js";
import { heldSocket, links, owner, say } from "./link-fixtures.js";

/** A server's held-bytes budget as a transport sees it: throws past `max`. */
function budget(max: number) {
	const state = { held: 0 };
	return {
		state,
		holdCall(bytes: number) {
			if (state.held + bytes > max)
				throw new ActorError("limit", "overloaded", "held", { retryAfter: 1_000 });
			state.held += bytes;
		},
		releaseCall(bytes: number) {
			state.held -= bytes;
		},
	};
}

const errorOf = (frame: string) =>
	JSON.parse(frame).body.val as { group: string; actionId: number };

it("counts relayed calls until the owner answers, and refuses those past the budget without sending them", async () => {
	const answered = new Set([1]);
	const node = await owner((message, reply) => {
		if (message.tag === "ActionRequest" && answered.has(message.id as number))
			reply({ tag: "ActionResponse", id: message.id, output: "done" });
	});
	const held = budget(250);
	const { socket, toClient } = heldSocket(held);
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive(say(1), 100);
	await expect.poll(() => toClient.length).toBe(1);
	// Answered: let go.
	expect(held.state.held).toBe(0);
	socket.receive(say(2), 100);
	socket.receive(say(3), 100);
	socket.receive(say(4), 100);
	await expect.poll(() => node.received.length).toBe(3);
	// The fourth does not fit beside two unanswered ones: refused here, never sent on.
	expect(held.state.held).toBe(200);
	expect(node.received.map((message) => (message as { id: number }).id)).toEqual([1, 2, 3]);
	expect(errorOf(toClient[1] as string)).toMatchObject({ group: "limit", actionId: 4 });
});

it("lets go of every counted call when the link ends, whatever its end", async () => {
	for (const [code, reason] of [
		[1011, "owner.lost"],
		[1000, "destroyed"],
		[LINK_HIBERNATE, linkHibernateReason(1)],
	] as const) {
		const node = await owner((message, _reply, end) => {
			if (message.tag === "ActionRequest" && message.id === 2) end(code, reason);
		});
		const held = budget(1_000);
		const { socket } = heldSocket(held);
		expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
		socket.receive(say(1), 100);
		socket.receive(say(2), 100);
		await expect.poll(() => socket.attached, { message: `${code}` }).toBe(false);
		if (code === LINK_HIBERNATE) {
			// The one the owner did not take is held again with its size, and counted while held.
			expect(held.state.held).toBe(100);
			expect(socket.takeHeld()).toEqual([
				{ kind: "input", input: { kind: "message", message: say(2), bytes: 100 } },
			]);
		}
		expect(held.state.held, `${code}`).toBe(0);
	}
});

it("counts each of two calls with one id until its own answer (the owner runs both)", async () => {
	// A review, 2026-11-29: kept by id, each call released the one before it while that one still
	// ran, and a socket held its 128 calls with one counted.
	const node = await owner(() => {});
	const held = budget(250);
	const { socket, toClient } = heldSocket(held);
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	for (let i = 0; i < 10; i++) socket.receive(say(1), 100);
	await expect.poll(() => toClient.length).toBe(8);
	await expect.poll(() => node.received.length).toBe(2);
	expect(held.state.held).toBe(200);
});

it("holds a call the owner did not take again with its own size, though it shares its id with one taken", async () => {
	// A review, 2026-11-29: held again with the bytes of the oldest unanswered call of its id (one
	// the owner took), it counted 900 bytes where it held 100 until the actor woke again.
	let received = 0;
	const node = await owner((_message, _reply, end) => {
		if (++received === 2) end(LINK_HIBERNATE, linkHibernateReason(1));
	});
	const held = budget(2_000);
	const { socket, toClient } = heldSocket(held);
	expect(await links().link(socket, { nodeId: "owner", address: node.address })).toBe("linked");
	socket.receive(say(1), 900);
	socket.receive(say(1), 100);
	await expect.poll(() => socket.attached).toBe(false);
	// The one taken and not answered failed; the other is held again, counted at its size.
	await expect.poll(() => toClient.length).toBe(1);
	expect(errorOf(toClient[0] as string)).toMatchObject({ actionId: 1 });
	expect(held.state.held).toBe(100);
	expect(socket.takeHeld()).toEqual([
		{ kind: "input", input: { kind: "message", message: say(1), bytes: 100 } },
	]);
	expect(held.state.held).toBe(0);
});
