// One actor's sleep on its owner ends every link to it at once, and the
// holder handles each link's close on its own. A socket whose close came
// while the registry was linking the others (skipped then: still attached)
// held its input again and found that wake under way, so nothing woke the
// actor for it: its call waited for the client's next message (a review,
// 2026-11-28). The registry with a scripted links port (real held sockets).
import { expect, it } from "vitest";
import { createLogger } from "../../src/common/logger.js";
import type { ToServer } from "../../src/protocol/messages.js";
import type { ConnSocket } from "../../src/runtime/connections/conn-socket.js";
import type { ConnectionLinks } from "../../src/runtime/connections/links.js";
import { SocketRegistry } from "../../src/runtime/connections/socket-registry.js";
import { OwnedElsewhereError } from "../../src/storage/interfaces.js";

const owner = { nodeId: "owner", address: "http://127.0.0.1:1" };
const say = (id: number): ToServer => ({ tag: "ActionRequest", id, name: "say", args: [] });

it("wakes again for input held by a socket the link skipped while it ran", async () => {
	const linked: ConnSocket[] = [];
	let finishFirst: (() => void) | undefined;
	const links: ConnectionLinks = {
		nodeId: "holder",
		notifyHolder: () => {},
		link: async (socket) => {
			// The first link waits for the test; the socket is linked (attached) when it ends.
			if (linked.length === 0) await new Promise<void>((resolve) => (finishFirst = resolve));
			socket.attach({ receive: () => {}, closed: () => {} });
			linked.push(socket);
			return "linked";
		},
	};
	const registry = new SocketRegistry({
		wake: async (actorId) => {
			throw new OwnedElsewhereError(actorId, owner);
		},
		isAwake: () => false,
		links: () => links,
		log: createLogger({ level: "silent" }),
		exposeInternalErrors: false,
		maxHeldPerSocket: 64,
		maxHeldRawBytesPerSocket: 1024,
	});
	const transport = () => ({ encoding: "json" as const, send: () => {}, close: () => {} });
	const a = registry.open("actor-1", transport());
	const b = registry.open("actor-1", transport());
	a.connId = "conn-a";
	b.connId = "conn-b";
	// `b` is still linked to the old owner (its close not handled yet); `a` holds a message.
	b.attach({ receive: () => {}, closed: () => {} });
	a.receive(say(1));
	await expect.poll(() => finishFirst).toBeDefined();
	// Now `b`'s link ends: it holds its message again, while the wake for `a` runs.
	b.detach();
	b.receive(say(2));
	finishFirst?.();
	await expect.poll(() => linked).toEqual([a, b]);
	expect(b.heldCount).toBe(0);
});

// At a holder node's shutdown, a socket linked to its actor's owner on another node passed
// calls on that may have run there: its close must not read as "nothing ran" to the client
// (`core.shutting_down`, after which Tenon's client sends its calls again), where a held
// socket's input never reached an actor (2026-11-29).
it("closes held sockets with core.shutting_down and linked ones with conn.link_ended", () => {
	const registry = new SocketRegistry({
		wake: async () => {},
		isAwake: () => false,
		links: () => undefined,
		log: createLogger({ level: "silent" }),
		exposeInternalErrors: false,
		maxHeldPerSocket: 64,
		maxHeldRawBytesPerSocket: 1024,
	});
	const closes: string[] = [];
	const transport = (name: string) => ({
		encoding: "json" as const,
		send: () => {},
		close: (code: number, reason: string) => closes.push(`${name} ${code} ${reason}`),
	});
	registry.open("actor-1", transport("held"));
	const linked = registry.open("actor-2", transport("linked"));
	linked.attach({ receive: () => {}, closed: () => {} });
	registry.closeAll(1001, "core.shutting_down", "conn.link_ended");
	expect(closes.sort()).toEqual(["held 1001 core.shutting_down", "linked 1001 conn.link_ended"]);
});
