// The example apps' file server: files from dist only, and a malformed path
// is a 400 (an attacker probe got a 500 and a logged stack trace from
// `/apps/%E0`, 2026-11-25).
import { expect, it } from "vitest";
import { issueToken, verifyToken } from "../auth/tokens.js";
import { NEW_GUESTS_PER_HOUR, serveApps } from "./serve-apps.js";

const from = (remoteAddress: string) => ({ remoteAddress, clientKey: remoteAddress });
const get = (path: string) => serveApps(new Request(`http://localhost${path}`), from("10.0.0.1"));

it("serves the built apps, nothing outside them, and answers a malformed path with a 400", async () => {
	const page = await get("/apps/editor/");
	expect(page?.status).toBe(200);
	expect(page?.headers.get("content-type")).toBe("text/html; charset=utf-8");
	// No other page may frame an app, and scripts come from here only (an attacker probe framed
	// the board from a sibling port, 2026-11-27).
	expect(page?.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
	expect(page?.headers.get("content-security-policy")).toContain("script-src 'self'");
	expect(page?.headers.get("x-frame-options")).toBe("DENY");
	for (const path of ["/apps/%E0", "/apps/%C3%28", "/apps/editor/%FF"])
		expect((await get(path))?.status, path).toBe(400);
	for (const path of [
		"/apps/..%2f..%2fpackage.json",
		"/apps/%2e%2e/serve-apps.ts",
		"/apps/nothing-here",
	])
		expect(await get(path), path).toBeUndefined();
});

// A review (2026-11-26) signed in as `alice` through `POST /apps/login?name=alice` and read
// her todos and refunded her shop orders: the demo sign-in gave anyone a token for any name.
it("the demo sign-in never signs anyone in as a name they chose: each new sign-in is a new guest", async () => {
	const signIn = async (query = "", body?: unknown) => {
		const response = await serveApps(
			new Request(`http://localhost/apps/login${query}`, {
				method: "POST",
				...(body === undefined
					? {}
					: { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
			}),
			from("10.0.0.2"),
		);
		expect(response?.status).toBe(200);
		const session = (await response?.json()) as { userId: string; token: string };
		expect(verifyToken(session.token)).toEqual({ userId: session.userId, roles: [] });
		return session;
	};
	const first = await signIn("?name=alice");
	const second = await signIn("?name=alice");
	for (const session of [first, second]) expect(session.userId).toMatch(/^guest-[0-9a-f]{10}$/);
	expect(second.userId).not.toBe(first.userId);
	// A guest's own valid token renews that guest (tabs of one browser are one user)...
	expect((await signIn("", { token: first.token })).userId).toBe(first.userId);
	// ...and nothing else does: another user's valid token, a forged one, or a claimed name.
	const alice = issueToken({ userId: "alice", roles: ["approver"] });
	for (const token of [alice, `${first.token}x`, "alice", 42])
		expect((await signIn("", { token, userId: "alice" })).userId).toMatch(/^guest-/);
	// It reads a few KiB of body at most (the fallback gets requests without Tenon's body limits).
	const large = await serveApps(
		new Request("http://localhost/apps/login", { method: "POST", body: "x".repeat(100_000) }),
		from("10.0.0.2"),
	);
	expect(large?.status).toBe(413);
});

// Every guest is a new user to the examples' per-user limits: a review (2026-11-27) made
// guests without end to take a shop's whole stock, five items per "customer".
it("gives one address a bounded number of new guests an hour; renewing a guest still works", async () => {
	const signIn = (address: string, token?: string) =>
		serveApps(
			new Request("http://localhost/apps/login", {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ token }),
			}),
			from(address),
		);
	const kept: string[] = [];
	for (let i = 0; i < NEW_GUESTS_PER_HOUR; i++) {
		const response = (await signIn("10.0.0.3")) as Response;
		expect(response.status).toBe(200);
		kept.push(((await response.json()) as { token: string }).token);
	}
	const refused = await signIn("10.0.0.3");
	expect(refused?.status).toBe(429);
	expect(refused?.headers.get("retry-after")).toBe("3600");
	// A guest it has is renewed, and another address gets its own.
	expect((await signIn("10.0.0.3", kept[0]))?.status).toBe(200);
	expect((await signIn("10.0.0.4"))?.status).toBe(200);
	// Counted by the client's key (an IPv6 /64), not its address: another address of the same
	// /64 gets no more.
	const v6 = (address: string) =>
		serveApps(new Request("http://localhost/apps/login", { method: "POST" }), {
			remoteAddress: address,
			clientKey: "2001:db8:0:0::/64",
		});
	for (let i = 0; i < NEW_GUESTS_PER_HOUR; i++)
		expect((await v6(`2001:db8::${i + 1}`))?.status).toBe(200);
	expect((await v6("2001:db8::ffff"))?.status).toBe(429);
});
