// The unmodified RivetKit client (npm `rivetkit`, client protocol v4) through
// every feature, against any Tenon server. Each `it` is one row of the table
// in docs/protocol.md (feature x encoding).
import { createClient } from "rivetkit/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { sampleValues } from "./fixtures/compat-values.js";

/** A server the suite runs against. */
export interface CompatTarget {
	readonly url: string;
	/** Restarts the server on the same address (clients reconnect by themselves). */
	restart?(): Promise<void>;
	stop(): Promise<void>;
}

/** The encodings the suite covers: RivetKit's default (`bare`) and the two others. */
export type CompatEncoding = "bare" | "cbor" | "json";

// `any`: the registry's types are Tenon's, which RivetKit's client does not know.
type AnyClient = any;

function client(target: CompatTarget, encoding: CompatEncoding | undefined): AnyClient {
	// `undefined`: the client's own default (bare), as a RivetKit app has it.
	return createClient({
		endpoint: target.url,
		...(encoding === undefined ? {} : { encoding }),
	} as Parameters<typeof createClient>[0]);
}

let keys = 0;
const key = (name: string) => [`${name}-${process.pid}-${++keys}`];

/**
 * What the client should get for a server-made sample. JSON carries neither
 * Map (RivetKit's JSON convention has no tag for it: an object of its entries)
 * nor Date (an ISO string); CBOR and BARE carry everything.
 */
function fromServer(name: string, encoding: CompatEncoding): unknown {
	const value = sampleValues()[name];
	if (encoding !== "json") return value;
	if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), v]));
	if (value instanceof Date) return value.toISOString();
	return value;
}

/**
 * The samples a client can send in `encoding`. RivetKit's JSON client itself
 * turns Set and Map into `{}` and drops `undefined` in objects; its CBOR
 * client does not escape `$`-pairs (its own server would read them as tags).
 * BARE carries everything.
 */
function sendable(encoding: CompatEncoding): string[] {
	const unsendable: Record<CompatEncoding, string[]> = {
		bare: [],
		cbor: ["dollarPair", "escapedPair"],
		json: ["set", "map", "undefined", "nestedUndefined", "date"],
	};
	return Object.keys(sampleValues()).filter((name) => !unsendable[encoding].includes(name));
}

/** Runs the whole suite for `encodings` against the target `start` makes. */
export function describeRivetKitSuite(
	name: string,
	start: () => Promise<CompatTarget>,
	encodings: readonly (CompatEncoding | undefined)[] = [undefined, "cbor", "json"],
): void {
	describe(name, () => {
		let target: CompatTarget;
		beforeAll(async () => {
			target = await start();
			// Opening a SQLite database loads wa-sqlite, which installs BigInt.prototype.toJSON.
			await client(target, "cbor").notes.getOrCreate(["loaded"]).add("x");
		}, 60_000);
		afterAll(() => target?.stop());

		for (const encoding of encodings) {
			const label = encoding ?? "bare (default)";
			describe(`rivetkit/client, ${label}`, () => {
				it("HTTP actions, and errors with metadata", async () => {
					const c = client(target, encoding);
					try {
						const handle = c.compat.getOrCreate(key("http"));
						expect(await handle.increment(2)).toBe(2);
						expect(await handle.increment(3)).toBe(5);
						await expect(handle.fail()).rejects.toMatchObject({
							group: "user",
							code: "failed_on_purpose",
							metadata: { n: 1, why: "test" },
						});
						await expect(handle.nosuch()).rejects.toMatchObject({ code: "action_not_found" });
					} finally {
						await c.dispose();
					}
				});

				it("values: bigint, bytes, Map, Set, Date, undefined, nested, $-pairs", async () => {
					const c = client(target, encoding);
					const chosen = encoding ?? "bare";
					try {
						const handle = c.compat.getOrCreate(key("values"));
						const conn = handle.connect();
						for (const name of Object.keys(sampleValues())) {
							const expected = fromServer(name, chosen);
							expect(await handle.sample(name), `${name} from the server, HTTP`).toEqual(expected);
							expect(await conn.sample(name), `${name} from the server, connection`).toEqual(
								expected,
							);
						}
						for (const name of sendable(chosen)) {
							const value = sampleValues()[name];
							expect(await handle.echo(value), `${name} and back, HTTP`).toEqual(value);
							expect(await conn.echo(value), `${name} and back, connection`).toEqual(value);
							await handle.store(value);
							expect(await handle.stored(), `${name} stored`).toEqual(value);
						}
						expect(await handle.echoArgs(1, "x")).toEqual([1, "x"]);
						await conn.dispose();
					} finally {
						await c.dispose();
					}
				});

				it("connections: actions, events, once, unsubscribe, errors", async () => {
					const c = client(target, encoding);
					try {
						const handle = c.compat.getOrCreate(key("conn"));
						const conn = handle.connect({ user: "ada" });
						const seen: number[] = [];
						const onceSeen: number[] = [];
						const unsubscribe = conn.on("changed", (n: number) => seen.push(n));
						conn.once("changed", (n: number) => onceSeen.push(n));
						expect(await conn.whoami()).toBe("ada");
						expect(await conn.increment(1)).toBe(1);
						await expect.poll(() => seen).toEqual([1]);
						expect(await handle.increment(1)).toBe(2);
						await expect.poll(() => seen).toEqual([1, 2]);
						expect(onceSeen).toEqual([1]);
						unsubscribe();
						await handle.increment(1);
						const values: unknown[] = [];
						conn.on("value", (value: unknown) => values.push(value));
						await conn.emit({ big: 7n });
						await expect.poll(() => values).toEqual([{ big: 7n }]);
						expect(seen).toEqual([1, 2]);
						await expect(conn.fail()).rejects.toMatchObject({
							code: "failed_on_purpose",
							metadata: { n: 1, why: "test" },
						});
						const blocked = c.compat.getOrCreate(key("conn")).connect({ user: "blocked" });
						const errors: unknown[] = [];
						blocked.onError((error: unknown) => errors.push(error));
						await expect.poll(() => errors.length).toBeGreaterThan(0);
						expect(errors[0]).toMatchObject({ code: "blocked" });
						await blocked.dispose();
						await conn.dispose();
					} finally {
						await c.dispose();
					}
				});

				it("get, getOrCreate, create and getForId, with input", async () => {
					const c = client(target, encoding);
					try {
						const k = key("create");
						await expect(c.compat.get(k).label()).rejects.toMatchObject({ code: "not_found" });
						const made = c.compat.getOrCreate(k, {
							createWithInput: { label: "from getOrCreate" },
						});
						expect(await made.label()).toBe("from getOrCreate");
						expect(await c.compat.get(k).label()).toBe("from getOrCreate");
						const created = await c.compat.create(key("create"), {
							input: { label: "from create" },
						});
						expect(await created.label()).toBe("from create");
						const id = await created.resolve();
						expect(await c.compat.getForId(id).label()).toBe("from create");
						await expect(c.compat.create(k)).rejects.toMatchObject({ code: "duplicate_key" });
					} finally {
						await c.dispose();
					}
				});

				it("queue send, with and without waiting", async () => {
					const c = client(target, encoding);
					try {
						const handle = c.compat.getOrCreate(key("queue"));
						await handle.send("jobs", { n: 1 });
						const result = await handle.send("jobs", { n: 21 }, { wait: true, timeout: 10_000 });
						expect(result).toMatchObject({ status: "completed", response: { doubled: 42 } });
						await expect(handle.send("nosuch", {})).rejects.toMatchObject({ group: "queue" });
					} finally {
						await c.dispose();
					}
				});

				it("raw fetch and raw WebSocket", async () => {
					const c = client(target, encoding);
					try {
						const handle = c.compat.getOrCreate(key("raw"));
						const response = await handle.fetch("/hello?x=1", { method: "POST", body: "payload" });
						expect(response.status).toBe(200);
						expect(response.headers.get("x-from")).toBe("actor");
						expect(await response.json()).toEqual({
							method: "POST",
							path: "/hello",
							query: "?x=1",
							body: "payload",
						});
						const socket = (await handle.webSocket("/echo")) as unknown as WebSocket;
						await new Promise<void>((resolve, reject) => {
							if (socket.readyState === 1) return resolve();
							socket.addEventListener("open", () => resolve());
							socket.addEventListener("error", (event) => reject(event));
						});
						const echoed = new Promise<string>((resolve) =>
							socket.addEventListener("message", (event) => resolve(String(event.data))),
						);
						socket.send("ping");
						expect(await echoed).toBe("ping");
						socket.close();
					} finally {
						await c.dispose();
					}
				});

				it("sleep and wake, with state kept", async () => {
					const c = client(target, encoding);
					try {
						const handle = c.compat.getOrCreate(key("sleep"));
						await handle.increment(4);
						expect(await handle.wakes()).toBe(1);
						await handle.goToSleep();
						await expect.poll(() => handle.wakes(), { timeout: 5_000 }).toBe(2);
						expect(await handle.count()).toBe(4);
					} finally {
						await c.dispose();
					}
				});

				it("destroy", async () => {
					const c = client(target, encoding);
					try {
						const handle = c.compat.getOrCreate(key("destroy"));
						const id = await handle.resolve();
						await handle.destroyMe();
						await expect
							.poll(async () =>
								c.compat
									.getForId(id)
									.count()
									.then(
										() => "alive",
										(error: { code?: string }) => error.code,
									),
							)
							.toBe("not_found");
						// (Destroying is asynchronous: the actor finishes its turn first.)
					} finally {
						await c.dispose();
					}
				});

				it("after a server restart, connects again with its params and state", async (context) => {
					if (target.restart === undefined) {
						context.skip("this target cannot restart on the same address");
						return;
					}
					const c = client(target, encoding);
					try {
						const handle = c.compat.getOrCreate(key("restart"));
						const conn = handle.connect({ user: "grace" });
						expect(await conn.whoami()).toBe("grace");
						expect(await conn.increment(1)).toBe(1);
						const closed: unknown[] = [];
						conn.onError((error: unknown) => closed.push(error));
						await target.restart();
						// RivetKit's client reports the shutdown (1001, core.shutting_down). It does
						// not retry a reconnect the stopped server refused (Tenon's client does):
						// the app connects again, with the same params and so the same state.
						await expect.poll(() => closed.length, { timeout: 10_000 }).toBeGreaterThan(0);
						await conn.dispose();
						const again = handle.connect({ user: "grace" });
						expect(await again.whoami()).toBe("grace");
						expect(await again.increment(1)).toBe(2);
						await again.dispose();
					} finally {
						await c.dispose();
					}
				}, 30_000);
			});
		}
	});
}
