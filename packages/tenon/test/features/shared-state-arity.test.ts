// A shareState function is per connection when it declares two parameters;
// one that declares fewer (a default parameter, a wrapper with rest
// parameters) is shared with everyone. Its shared path passed the subscribing
// connection to it anyway and kept the result as everyone's value: the first
// subscriber's private view went to every later one (a review, 2026-11-26).
// Shared, it gets no connection.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

type Conn = { state: { user: string } };
type State = { shared: number; secrets: Record<string, string> };

/** A logging wrapper, as apps write them: `(...args) => fn(...args)` (its length is 0). */
function traced<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
	return (...args: A) => fn(...args);
}

const withDefault = actor({
	state: { shared: 0, secrets: {} as Record<string, string> },
	createConnState: (_c, params: { user: string }) => ({ user: params.user }),
	// A function of the state and the connection (the default only for type's sake: length 1).
	shareState: (state: State, conn: Conn | undefined = undefined) => ({
		shared: state.shared,
		mine: conn === undefined ? null : (state.secrets[conn.state.user] ?? null),
	}),
	actions: {
		setSecret: (c, secret: string) => {
			c.state.secrets[c.conn.state.user] = secret;
		},
	},
});

const wrapped = actor({
	state: { shared: 0, secrets: {} as Record<string, string> },
	createConnState: (_c, params: { user: string }) => ({ user: params.user }),
	shareState: traced((state: State, conn: Conn) => ({
		shared: state.shared,
		mine: state.secrets[conn.state.user] ?? null,
	})),
	actions: {
		setSecret: (c, secret: string) => {
			c.state.secrets[c.conn.state.user] = secret;
		},
	},
});

const registry = setup({ use: { withDefault, wrapped }, logLevel: "silent" });

describe("shareState of the state and the connection", () => {
	for (const name of ["withDefault", "wrapped"] as const) {
		it(`never sends one connection's projection to another (${name})`, async () => {
			await using t = await setupTest(registry);
			const client = t.client[name] as unknown as {
				getOrCreate(
					key: string,
					o: { params: { user: string } },
				): {
					setSecret(s: string): Promise<void>;
					connect(): {
						onSharedState(cb: (v: unknown) => void): void;
						sharedState: unknown;
						dispose(): Promise<void>;
					};
				};
			};
			await client.getOrCreate("v", { params: { user: "ann" } }).setSecret("ann-secret");
			const ann = client.getOrCreate("v", { params: { user: "ann" } }).connect();
			const annViews: unknown[] = [];
			ann.onSharedState((view) => annViews.push(view));
			const bob = client.getOrCreate("v", { params: { user: "bob" } }).connect();
			const bobViews: unknown[] = [];
			bob.onSharedState((view) => bobViews.push(view));
			if (name === "withDefault") {
				// Shared: the projection without a connection, to both.
				await expect.poll(() => bobViews.at(-1)).toEqual({ shared: 0, mine: null });
				await expect.poll(() => annViews.at(-1)).toEqual({ shared: 0, mine: null });
			} else {
				// Shared, it reads a connection it is not given: it fails, and sends nothing.
				await expect(
					client.getOrCreate("v", { params: { user: "bob" } }).setSecret("b"),
				).resolves.toBeUndefined();
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
			await ann.dispose();
			await bob.dispose();
			expect(JSON.stringify([...annViews, ...bobViews])).not.toContain("ann-secret");
		});
	}
});
