// The turn history's list reads summaries; records written before summaries
// existed (2026-11-25) are still listed, from their full records.
import { describe, expect, it } from "vitest";
import { cborEncode } from "../../src/protocol/encoding.js";
import { readTurnSummaries } from "../../src/runtime/turn-history.js";
import { historyKey, turnSummaryKey } from "../../src/storage/actor-keys.js";
import { memoryDriver } from "../../src/storage/drivers/memory/index.js";

describe("turn history summaries", () => {
	it("lists records from before summaries from their full records, and newer ones from summaries", async () => {
		const handles = await memoryDriver().open();
		const actorId = "a1";
		const record = (seq: number) => ({ seq, at: seq * 1_000, origins: [{ kind: "background" }] });
		await handles.store.commit([
			{
				actorId,
				fence: 1,
				deletes: [],
				puts: [
					// Two records of an older version: no summary.
					[historyKey(1), cborEncode({ ...record(1), state: { big: "x".repeat(1000) } })],
					[historyKey(2), cborEncode({ ...record(2), stateOmitted: true })],
					// A newer one, with its summary.
					[historyKey(3), cborEncode({ ...record(3), state: { n: 3 } })],
					[turnSummaryKey(3), cborEncode(record(3))],
				],
			},
		]);
		expect(await readTurnSummaries(handles.store, actorId)).toEqual([
			record(1),
			{ ...record(2), stateOmitted: true },
			record(3),
		]);
		expect(await readTurnSummaries(handles.store, "none")).toEqual([]);
		await handles.close();
	});
});
