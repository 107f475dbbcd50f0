// Action names that a client handle or connection has as members (`send`, `connect`, `on`,
// ...) were refused only when the actor was defined, at run time, with a message that did not
// list them (a docs walkthrough, 2026-11-28: `send` is a natural name for a chat action). The
// types refuse them now, and the error names them all.
import { describe, expect, expectTypeOf, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import {
	RESERVED_ACTION_NAMES,
	type ReservedActionName,
} from "../../src/protocol/client-members.js";

describe("reserved action names", () => {
	it("are refused by the types at the top level, and allowed in a group", () => {
		const define = () =>
			actor({
				state: {},
				actions: {
					// @ts-expect-error `send` is a handle's method (queue sends)
					send: (_c, text: string) => text,
					ok: () => 1,
				},
			});
		expect(define).toThrow(
			/Action name 'send' is reserved.*reserved: action, connect, resolve, send/,
		);
		const grouped = actor({ state: {}, actions: { chat: { send: (_c, text: string) => text } } });
		expect(Object.keys(grouped.config.actions ?? {})).toEqual(["chat"]);
	});

	it("refuses actors named `then` or `dispose` (the client's own members), in the types as at run time", () => {
		const a = actor({ state: {}, actions: { hi: () => 1 } });
		// @ts-expect-error `client.dispose` is the client's
		expect(() => setup({ use: { dispose: a } })).toThrow(/Actor name 'dispose' is reserved/);
		const then = "then" as const; // a computed key: the linter refuses a `then` property
		// @ts-expect-error `await client` reads `then`
		expect(() => setup({ use: { [then]: a } })).toThrow(/Actor name 'then' is reserved/);
		expect(Object.keys(setup({ use: { disposer: a } }).config.use)).toEqual(["disposer"]);
	});

	it("refuses `then` and `toJSON` in a group, in the types as at run time", () => {
		const define = () =>
			actor({
				state: {},
				// @ts-expect-error `await handle.admin` reads `then`
				actions: {
					// biome-ignore lint/suspicious/noThenProperty: the reserved name under test
					admin: { then: (_c: unknown) => 1, reset: (_c: unknown) => 2 },
				},
			});
		expect(define).toThrow(/Action name 'admin.then' is reserved/);
		const nested = actor({
			state: { n: 1 },
			actions: { admin: { deeper: { reset: (c) => c.state.n } } },
		});
		expect(Object.keys(nested.config.actions ?? {})).toEqual(["admin"]);
	});

	it("are the names the definition refuses (less `constructor`, `toString`, `valueOf`, which every object has)", () => {
		const inherited = new Set(["constructor", "toString", "valueOf"]);
		const runtime = [...RESERVED_ACTION_NAMES].filter((name) => !inherited.has(name)).sort();
		const typed: Record<ReservedActionName, true> = {
			action: true,
			connect: true,
			resolve: true,
			send: true,
			fetch: true,
			webSocket: true,
			dispose: true,
			on: true,
			once: true,
			onError: true,
			onOpen: true,
			onClose: true,
			onStatusChange: true,
			onSharedState: true,
			setPresence: true,
			onPresence: true,
			connStatus: true,
			actorId: true,
			connectionId: true,
			sharedState: true,
			presence: true,
			// biome-ignore lint/suspicious/noThenProperty: the reserved name itself, as a key of a plain record.
			then: true,
			toJSON: true,
		};
		expect(Object.keys(typed).sort()).toEqual(runtime);
		expectTypeOf<"send">().toExtend<ReservedActionName>();
	});

	it("leave a handle and a connection without toString and valueOf, in their types as at run time", () => {
		const counter = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });
		const registry = setup({ use: { counter } });
		const client = createClient<typeof registry>("http://127.0.0.1:9");
		const handle = client.counter.getOrCreate("k");
		expectTypeOf(handle.toString).toEqualTypeOf<undefined>();
		expectTypeOf(handle.valueOf).toEqualTypeOf<undefined>();
		expect(handle.toString).toBeUndefined();
		expect(handle.valueOf).toBeUndefined();
		// @ts-expect-error a handle is not text (its toString was Object's in the types, undefined at run time)
		expect(() => handle.toString()).toThrow(TypeError);
		type Conn = ReturnType<typeof handle.connect>;
		expectTypeOf<Conn["toString"]>().toEqualTypeOf<undefined>();
		expectTypeOf<Conn["valueOf"]>().toEqualTypeOf<undefined>();
	});
});
