import { describe, expect, it } from "vitest";
import type { CreateActorRequest } from "../../storage/interfaces.js";
import { type ConformanceTarget, testActorId, withHandles } from "./harness.js";

function request(overrides: Partial<CreateActorRequest> = {}): CreateActorRequest {
	return {
		actorId: testActorId(),
		namespace: "default",
		name: "counter",
		key: ["k"],
		createdAt: 1_700_000_000_000,
		...overrides,
	};
}

/**
 * Conformance suite for {@link ActorDirectory}. Every driver runs it.
 *
 * @example
 * describeDirectoryConformance("memory", { createDriver: async () => memoryDriver() });
 */
export function describeDirectoryConformance(driverName: string, target: ConformanceTarget): void {
	describe(`ActorDirectory conformance: ${driverName}`, () => {
		it("creates an actor once and returns it on later creates", () =>
			withHandles(target, async ({ directory }) => {
				const first = await directory.create(request({ actorId: "aaaaaaaaaaaaaaa1" }));
				expect(first.created).toBe(true);
				expect(first.actor).toMatchObject({
					actorId: "aaaaaaaaaaaaaaa1",
					name: "counter",
					key: ["k"],
				});
				const second = await directory.create(request({ actorId: "aaaaaaaaaaaaaaa2" }));
				expect(second.created).toBe(false);
				expect(second.actor.actorId).toBe("aaaaaaaaaaaaaaa1");
			}));

		it("creates exactly one actor when 50 callers race on one key", () =>
			withHandles(target, async ({ directory }) => {
				const results = await Promise.all(
					Array.from({ length: 50 }, () => directory.create(request({ key: ["race"] }))),
				);
				expect(results.filter((r) => r.created)).toHaveLength(1);
				expect(new Set(results.map((r) => r.actor.actorId)).size).toBe(1);
			}));

		it("keeps keys that look alike apart", () =>
			withHandles(target, async ({ directory }) => {
				const keys = [
					[],
					[""],
					["", ""],
					["a", "b"],
					["a/b"],
					["a,b"],
					["ab"],
					["a\\", "b"],
					["a", "\\b"],
					["\u0000"],
					["é"],
				];
				const ids = new Set<string>();
				for (const key of keys) {
					const { actor, created } = await directory.create(request({ key }));
					expect(created).toBe(true);
					ids.add(actor.actorId);
				}
				expect(ids.size).toBe(keys.length);
				for (const key of keys) {
					expect((await directory.getByKey("default", "counter", key))?.key).toEqual(key);
				}
			}));

		it("separates namespaces and actor names", () =>
			withHandles(target, async ({ directory }) => {
				const a = await directory.create(request({ namespace: "one" }));
				const b = await directory.create(request({ namespace: "two" }));
				const c = await directory.create(request({ namespace: "one", name: "chat" }));
				expect(new Set([a.actor.actorId, b.actor.actorId, c.actor.actorId]).size).toBe(3);
				expect(await directory.getByKey("three", "counter", ["k"])).toBeUndefined();
			}));

		it("looks actors up by id, including unknown ids", () =>
			withHandles(target, async ({ directory }) => {
				const { actor } = await directory.create(request());
				expect(await directory.getById(actor.actorId)).toEqual(actor);
				expect(await directory.getById("zzzzzzzzzzzzzzzz")).toBeUndefined();
			}));

		it("stores creation input byte for byte", () =>
			withHandles(target, async ({ directory }) => {
				const input = Uint8Array.from([0, 1, 2, 255, 254]);
				const { actor } = await directory.create(request({ input }));
				expect(await directory.readInput(actor.actorId)).toEqual(input);
				const { actor: noInput } = await directory.create(request({ key: ["other"] }));
				expect(await directory.readInput(noInput.actorId)).toBeUndefined();
			}));

		it("lists live actors of a name in id order, with paging", () =>
			withHandles(target, async ({ directory }) => {
				const ids: string[] = [];
				for (let i = 0; i < 7; i++) {
					ids.push((await directory.create(request({ key: [`k${i}`] }))).actor.actorId);
				}
				await directory.create(request({ name: "other", key: ["x"] }));
				ids.sort();
				const all = await directory.list("default", "counter");
				expect(all.map((r) => r.actorId)).toEqual(ids);
				const page1 = await directory.list("default", "counter", { limit: 3 });
				const page2 = await directory.list("default", "counter", {
					limit: 3,
					afterActorId: page1.at(-1)?.actorId as string,
				});
				expect([...page1, ...page2].map((r) => r.actorId)).toEqual(ids.slice(0, 6));
			}));

		it("destroys: frees the key, keeps the record with destroyedAt, is idempotent", () =>
			withHandles(target, async ({ directory }) => {
				const { actor } = await directory.create(request({ input: Uint8Array.from([1]) }));
				await directory.markDestroyed(actor.actorId, 1_800_000_000_000);
				await directory.markDestroyed(actor.actorId, 1_900_000_000_000);
				expect(await directory.getByKey("default", "counter", ["k"])).toBeUndefined();
				expect((await directory.getById(actor.actorId))?.destroyedAt).toBe(1_800_000_000_000);
				expect(await directory.list("default", "counter")).toEqual([]);
				const again = await directory.create(request());
				expect(again.created).toBe(true);
				expect(again.actor.actorId).not.toBe(actor.actorId);
			}));

		it("removes a destroyed actor's record on request, and only a destroyed one's", () =>
			withHandles(target, async ({ directory }) => {
				if (directory.removeDestroyed === undefined) return;
				const { actor: live } = await directory.create(request({ key: ["live"] }));
				await directory.removeDestroyed(live.actorId);
				expect((await directory.getById(live.actorId))?.actorId).toBe(live.actorId);
				const { actor: gone } = await directory.create(request({ key: ["gone"] }));
				await directory.markDestroyed(gone.actorId, 1_800_000_000_000);
				await directory.removeDestroyed(gone.actorId);
				await directory.removeDestroyed(gone.actorId);
				expect(await directory.getById(gone.actorId)).toBeUndefined();
				expect(await directory.getByKey("default", "counter", ["gone"])).toBeUndefined();
				expect((await directory.create(request({ key: ["gone"] }))).created).toBe(true);
			}));

		it("keeps records across a reopen", async () => {
			const driver = await target.createDriver();
			try {
				const first = await driver.open();
				const { actor } = await first.directory.create(request({ input: Uint8Array.from([9]) }));
				await first.close();
				const second = await driver.open();
				expect(await second.directory.getByKey("default", "counter", ["k"])).toEqual(actor);
				expect(await second.directory.readInput(actor.actorId)).toEqual(Uint8Array.from([9]));
				await second.close();
			} finally {
				await target.cleanup?.();
			}
		});
	});
}
