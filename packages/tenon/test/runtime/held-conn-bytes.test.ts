// A `/connect` socket counts the bytes of the frames it holds while its actor wakes, as a raw
// socket does: counted by number only, 128 frames of 64 KiB were 8 MiB a socket (an attacker
// probe's reading, 2026-11-29). Past the bound a frame is answered with an error, not held.
import { expect, it } from "vitest";
import type { ToServer } from "../../src/protocol/messages.js";
import { ConnSocket } from "../../src/runtime/connections/conn-socket.js";
import type { SocketOwner } from "../../src/runtime/connections/held-socket.js";

const say = (id: number): ToServer => ({ tag: "ActionRequest", id, name: "say", args: [id] });

it("holds frames while its actor wakes up to a byte bound, and answers the rest", () => {
	const toClient: string[] = [];
	const owner: SocketOwner = { wakeFor: () => {}, forget: () => {} };
	const transport = {
		encoding: "json" as const,
		send: (frame: string | Uint8Array) => toClient.push(String(frame)),
		close: () => {},
	};
	const socket = new ConnSocket("actor-1", transport, owner, 128, 1_000);
	for (let id = 1; id <= 4; id++) socket.receive(say(id), 400);
	expect(socket.heldCount).toBe(2);
	expect(toClient.map((frame) => JSON.parse(frame).body.val.actionId)).toEqual([3, 4]);
	// A frame without a size (a link's, counted where it came from) is held as before.
	socket.receive(say(5));
	expect(socket.heldCount).toBe(3);
});
