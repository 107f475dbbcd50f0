import { describe, expect, it } from "vitest";
import type { CommitItem } from "../../storage/interfaces.js";
import { b, type ConformanceTarget, s, testActorId, withHandles } from "./harness.js";

function item(actorId: string, fields: Partial<CommitItem> = {}): CommitItem {
	return { actorId, fence: 1, puts: [], deletes: [], ...fields };
}

/**
 * Conformance suite for {@link ActorStore}. Every driver runs it.
 *
 * @example
 * describeStoreConformance("lmdb", { createDriver: async () => lmdbDriver({ path: tmp }) });
 */
export function describeStoreConformance(driverName: string, target: ConformanceTarget): void {
	describe(`ActorStore conformance: ${driverName}`, () => {
		it("returns undefined for missing keys and values byte for byte", () =>
			withHandles(target, async ({ store }) => {
				const id = testActorId();
				const binary = Uint8Array.from([0, 255, 1, 254, 0]);
				const results = await store.commit([
					item(id, {
						puts: [
							[b("a"), b("1")],
							[b("empty"), new Uint8Array(0)],
							[b([0]), binary],
						],
					}),
				]);
				expect(results).toEqual([{ ok: true }]);
				const values = await store.get(id, [b("a"), b("missing"), b("empty"), b([0])]);
				expect(values.map((v) => (v === undefined ? undefined : [...v]))).toEqual([
					[...b("1")],
					undefined,
					[],
					[...binary],
				]);
			}));

		it("orders keys byte-wise and honours ranges, limits and reverse", () =>
			withHandles(target, async ({ store }) => {
				const id = testActorId();
				const keys = [
					b([0]),
					b([0, 0]),
					b([1]),
					b("a"),
					b("ab"),
					b("b"),
					b([0xff]),
					b([0xff, 0xff]),
				];
				await store.commit([item(id, { puts: [...keys].reverse().map((k) => [k, k] as const) })]);
				const all = await store.list(id, {});
				expect(all.map(([k]) => [...k])).toEqual(keys.map((k) => [...k]));
				const mid = await store.list(id, { start: b("a"), end: b("b") });
				expect(mid.map(([k]) => s(k))).toEqual(["a", "ab"]);
				const limited = await store.list(id, { start: b("a") }, { limit: 2 });
				expect(limited.map(([k]) => s(k))).toEqual(["a", "ab"]);
				const reversed = await store.list(id, { start: b("a"), end: b([0xff]) }, { reverse: true });
				expect(reversed.map(([k]) => s(k))).toEqual(["b", "ab", "a"]);
				const reversedLimit = await store.list(id, {}, { reverse: true, limit: 1 });
				expect(reversedLimit.map(([k]) => [...k])).toEqual([[0xff, 0xff]]);
				expect(await store.list(id, { start: b("c"), end: b("c") })).toEqual([]);
				expect(await store.list(id, {}, { limit: 0 })).toEqual([]);
			}));

		it("applies deletes, range deletes and clear", () =>
			withHandles(target, async ({ store }) => {
				const id = testActorId();
				const puts = ["a", "b", "c", "d", "e"].map((k) => [b(k), b(k)] as const);
				await store.commit([item(id, { puts })]);
				await store.commit([
					item(id, { deletes: [b("a"), b("zz")], deleteRanges: [{ start: b("c"), end: b("e") }] }),
				]);
				expect((await store.list(id, {})).map(([k]) => s(k))).toEqual(["b", "e"]);
				await store.commit([item(id, { clear: true, puts: [[b("new"), b("1")]] })]);
				expect((await store.list(id, {})).map(([k]) => s(k))).toEqual(["new"]);
			}));

		it("applies puts after deletes in one commit", () =>
			withHandles(target, async ({ store }) => {
				const id = testActorId();
				await store.commit([item(id, { puts: [[b("k"), b("old")]] })]);
				await store.commit([item(id, { deletes: [b("k")], puts: [[b("k"), b("new")]] })]);
				expect(s((await store.get(id, [b("k")]))[0])).toBe("new");
			}));

		it("keeps actors apart", () =>
			withHandles(target, async ({ store }) => {
				const first = testActorId();
				const second = testActorId();
				await store.commit([
					item(first, { puts: [[b("k"), b("1")]] }),
					item(second, { puts: [[b("k"), b("2")]] }),
				]);
				await store.commit([item(second, { clear: true })]);
				expect(s((await store.get(first, [b("k")]))[0])).toBe("1");
				expect(await store.list(second, {})).toEqual([]);
				expect((await store.list(first, {})).length).toBe(1);
			}));

		it("rejects a commit with a stale fence and writes none of it", () =>
			withHandles(target, async ({ store }) => {
				const id = testActorId();
				expect(await store.commit([item(id, { fence: 5, puts: [[b("k"), b("5")]] })])).toEqual([
					{ ok: true },
				]);
				expect(await store.commit([item(id, { fence: 5, puts: [[b("k"), b("5b")]] })])).toEqual([
					{ ok: true },
				]);
				const stale = await store.commit([
					item(id, {
						fence: 3,
						puts: [
							[b("k"), b("3")],
							[b("other"), b("x")],
						],
						deletes: [b("k")],
						clear: true,
					}),
				]);
				expect(stale).toEqual([{ ok: false, reason: "fenced", currentFence: 5 }]);
				expect(s((await store.get(id, [b("k")]))[0])).toBe("5b");
				expect(await store.get(id, [b("other")])).toEqual([undefined]);
				expect(await store.commit([item(id, { fence: 9, puts: [[b("k"), b("9")]] })])).toEqual([
					{ ok: true },
				]);
				expect(await store.commit([item(id, { fence: 5 })])).toEqual([
					{ ok: false, reason: "fenced", currentFence: 9 },
				]);
			}));

		it("decides each item of a batch on its own", () =>
			withHandles(target, async ({ store }) => {
				const fenced = testActorId();
				const fine = testActorId();
				await store.commit([item(fenced, { fence: 10 })]);
				const results = await store.commit([
					item(fenced, { fence: 2, puts: [[b("k"), b("no")]] }),
					item(fine, { fence: 2, puts: [[b("k"), b("yes")]] }),
				]);
				expect(results).toEqual([{ ok: false, reason: "fenced", currentFence: 10 }, { ok: true }]);
				expect(await store.get(fenced, [b("k")])).toEqual([undefined]);
				expect(s((await store.get(fine, [b("k")]))[0])).toBe("yes");
			}));

		it("does not alias stored bytes with caller buffers", () =>
			withHandles(target, async ({ store }) => {
				const id = testActorId();
				const value = b("abc");
				await store.commit([item(id, { puts: [[b("k"), value]] })]);
				value[0] = 120;
				const [read] = await store.get(id, [b("k")]);
				(read as Uint8Array)[1] = 120;
				expect(s((await store.get(id, [b("k")]))[0])).toBe("abc");
				// Node Buffers too, whose `slice` is a view, not a copy.
				const key = Buffer.from("buf");
				const bytes = Buffer.from("def");
				await store.commit([item(id, { puts: [[key, bytes]] })]);
				key.fill(0);
				bytes.fill(0);
				const listed = await store.list(id, { start: b("buf") }, { limit: 1 });
				for (const bytesListed of listed.flat()) bytesListed.fill(0);
				expect(s((await store.get(id, [b("buf")]))[0])).toBe("def");
			}));

		it("keeps exact byte order for keys of up to 4 KiB, short and long mixed", () =>
			withHandles(target, async ({ store }) => {
				const id = testActorId();
				const base = "k".repeat(1950);
				const keys = [
					b("j"),
					b(base),
					b(`${base}a`),
					b(`${base}a${"z".repeat(150)}`),
					b(`${base}b`),
					b(`${"k".repeat(1800)}l${"x".repeat(300)}`),
					b(`k${"m".repeat(4000)}`),
					b("l"),
				];
				const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
				await store.commit([item(id, { puts: keys.map((k, i) => [k, b(String(i))] as const) })]);
				const listed = await store.list(id, {});
				expect(listed.map(([k]) => k.byteLength)).toEqual(sorted.map((k) => k.byteLength));
				expect(listed.map(([k]) => Buffer.from(k).toString("hex"))).toEqual(
					sorted.map((k) => Buffer.from(k).toString("hex")),
				);
				const reversed = await store.list(id, {}, { reverse: true, limit: 3 });
				expect(reversed.map(([k]) => k.byteLength)).toEqual(
					sorted
						.slice(-3)
						.reverse()
						.map((k) => k.byteLength),
				);
				expect(s((await store.get(id, [keys[3] as Uint8Array]))[0])).toBe("3");
				expect(await store.get(id, [b(`${base}c`)])).toEqual([undefined]);
				const inside = await store.list(id, { start: b(`${base}a`), end: b(`${base}b`) });
				expect(inside.map(([, v]) => s(v))).toEqual(["2", "3"]);
				await store.commit([
					item(id, {
						deleteRanges: [{ start: b(base), end: b(`${base}b`) }],
						deletes: [keys[6] as Uint8Array],
					}),
				]);
				expect((await store.list(id, {})).map(([, v]) => s(v))).toEqual(["0", "4", "5", "7"]);
			}));

		it("scans and range-deletes with bounds longer than an engine's key limit", () =>
			withHandles(target, async ({ store }) => {
				// Bounds of about 2 KiB (a KV prefix near its limit): LMDB refused a scan from one,
				// and a range delete with one failed its commit (an attacker probe, 2026-11-25).
				const id = testActorId();
				const base = "p".repeat(1990);
				const keys = [
					b("p".repeat(1000)),
					b(`${"p".repeat(1970)}q`),
					b(`${base}`),
					b(`${base}a`),
					b(`${base}a${"z".repeat(100)}`),
					b(`${base}b`),
					b(`${"p".repeat(1989)}q`),
				];
				await store.commit([item(id, { puts: keys.map((k, i) => [k, b(String(i))] as const) })]);
				const values = (entries: (readonly [Uint8Array, Uint8Array])[]) =>
					entries.map(([, v]) => s(v));
				expect(values(await store.list(id, { start: b(base) }))).toEqual([
					"2",
					"3",
					"4",
					"5",
					"6",
					"1",
				]);
				expect(values(await store.list(id, { start: b(`${base}a`), end: b(`${base}b`) }))).toEqual([
					"3",
					"4",
				]);
				expect(
					values(
						await store.list(id, { start: b(`${base}a`), end: b(`${base}b`) }, { reverse: true }),
					),
				).toEqual(["4", "3"]);
				expect(
					values(await store.list(id, { end: b(`${base}a`) }, { reverse: true, limit: 2 })),
				).toEqual(["2", "0"]);
				await store.commit([
					item(id, { deleteRanges: [{ start: b(`${base}a`), end: b(`${base}c`) }] }),
				]);
				expect(values(await store.list(id, {}))).toEqual(["0", "2", "6", "1"]);
			}));

		it("round-trips a 1 MiB value", () =>
			withHandles(target, async ({ store }) => {
				const id = testActorId();
				const big = new Uint8Array(1024 * 1024);
				for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
				await store.commit([item(id, { puts: [[b("big"), big]] })]);
				const [read] = await store.get(id, [b("big")]);
				expect(read?.length).toBe(big.length);
				expect(Buffer.compare(Buffer.from(read as Uint8Array), Buffer.from(big))).toBe(0);
			}));

		it(
			"applies one commit of 6,000 puts, then 3,000 deletes and 3,000 puts, in key order",
			() =>
				withHandles(target, async ({ store }) => {
					// Past what one SQL statement takes as parameters (65,535), and many enough that a
					// sorted insert per key is quadratic (the memory driver's took seconds).
					const id = testActorId();
					const key = (n: number) => b(`k${n}`);
					const scattered = (count: number, start: number) =>
						Array.from({ length: count }, (_, i) => start + ((i * 7919) % count));
					await store.commit([item(id, { puts: scattered(6000, 0).map((n) => [key(n), b("a")]) })]);
					const deleted = scattered(6000, 0).filter((n) => n % 2 === 0);
					const added = scattered(3000, 6000);
					const result = await store.commit([
						item(id, {
							deletes: deleted.map(key),
							puts: added.map((n) => [key(n), b("b")]),
						}),
					]);
					expect(result).toEqual([{ ok: true }]);
					const kept = [...scattered(6000, 0).filter((n) => n % 2 === 1), ...added];
					const expected = kept.map((n) => `k${n}`).sort((x, y) => Buffer.compare(b(x), b(y)));
					const listed = await store.list(id, {});
					expect(listed.length).toBe(expected.length);
					expect(listed.map(([k]) => s(k))).toEqual(expected);
					expect(s((await store.get(id, [key(6001)]))[0])).toBe("b");
					expect((await store.get(id, [key(2)]))[0]).toBeUndefined();
				}),
			60_000,
		);

		it("applies many concurrent commits from different actors", () =>
			withHandles(target, async ({ store }) => {
				const ids = Array.from({ length: 100 }, () => testActorId());
				const results = await Promise.all(
					ids.map((id, i) => store.commit([item(id, { puts: [[b("n"), b(String(i))]] })])),
				);
				expect(results.every((r) => r[0]?.ok)).toBe(true);
				const values = await Promise.all(ids.map((id) => store.get(id, [b("n")])));
				expect(values.map(([v]) => s(v))).toEqual(ids.map((_, i) => String(i)));
			}));

		it("keeps data across a reopen", async () => {
			const driver = await target.createDriver();
			try {
				const id = testActorId();
				const first = await driver.open();
				// A key too long for some engines' key limit (LMDB keeps such keys apart).
				const long = b("z".repeat(2100));
				await first.store.commit([
					item(id, {
						puts: [
							[b("k"), b("v")],
							[long, b("long")],
						],
					}),
				]);
				await first.close();
				const second = await driver.open();
				expect(s((await second.store.get(id, [b("k")]))[0])).toBe("v");
				// Listed too, after a reopen (not only by the process that wrote it).
				expect(
					(await second.store.list(id, {})).map(([key, value]) => [key.length, s(value)]),
				).toEqual([
					[1, "v"],
					[2100, "long"],
				]);
				await second.close();
			} finally {
				await target.cleanup?.();
			}
		});

		it("hands a higher fence to each new open of the driver", async () => {
			const driver = await target.createDriver();
			try {
				const first = await driver.open();
				const id = testActorId();
				const oldFence = await first.placement.acquire(id);
				await first.close();
				const second = await driver.open();
				const newFence = await second.placement.acquire(id);
				expect(newFence).toBeGreaterThan(oldFence);
				await second.store.commit([item(id, { fence: newFence })]);
				expect((await second.store.commit([item(id, { fence: oldFence })]))[0]?.ok).toBe(false);
				await second.close();
			} finally {
				await target.cleanup?.();
			}
		});
	});
}
