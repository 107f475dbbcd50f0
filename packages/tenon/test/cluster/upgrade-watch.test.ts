// Regression (an attacker probe, 2026-11-27): a WebSocket that entered through a node that does
// not own its actor is piped to the owner. The owner was watched only until it answered the
// upgrade: frozen after that (SIGSTOP, a partition), the client's socket stayed open with no
// answer and no error for as long as the freeze, while another node had taken the actor over
// (684 of 1,683 actions went unanswered). The pipe is now watched for as long as it lasts, and
// ended once the owner stops beating, so the client reconnects to the new owner.
import { expect, it, vi } from "vitest";
import { passUpgradeThrough } from "../../src/cluster/upgrade-proxy.js";
import { FakeSocket, proxyTarget, upgradeRequest } from "./upgrade-fakes.js";

it("a passed-through WebSocket is ended when its owner stops beating after it answered", async () => {
	const client = new FakeSocket();
	client.on("error", () => {});
	const upstream = new FakeSocket();
	let onGone: (() => void) | undefined;
	const unwatch = vi.fn();
	const watchOwner = vi.fn((gone: () => void) => {
		onGone = gone;
		return unwatch;
	});
	passUpgradeThrough(
		upgradeRequest,
		client,
		Buffer.alloc(0),
		proxyTarget({ ownerAlive: async () => true, watchOwner }),
		vi.fn(),
		vi.fn(),
		() => upstream,
	);
	upstream.emit("connect");
	// Not watched before the answer (the deadline check does that)...
	expect(watchOwner).not.toHaveBeenCalled();
	upstream.push("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n");
	await vi.waitFor(() => expect(client.written.join("")).toContain("101 Switching"));
	// ...and from it on, for as long as it is piped.
	expect(watchOwner).toHaveBeenCalledTimes(1);
	expect(client.destroyed).toBe(false);
	onGone?.();
	expect(client.destroyed).toBe(true);
	expect(upstream.destroyed).toBe(true);
	await vi.waitFor(() => expect(unwatch).toHaveBeenCalled());
});
