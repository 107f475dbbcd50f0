// At debug level an actor's wake and stop each leave a line (an operator's walkthrough,
// 2026-11-29: with TENON_LOG_LEVEL=debug a plain wake or sleep logged nothing, only those of
// actors with connections did).
import { expect, it } from "vitest";
import { createLogger, type LogFields } from "../../src/common/logger.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const plain = actor({
	state: { n: 0 },
	actions: { bump: (c) => ++c.state.n, rest: (c) => c.sleep(), end: (c) => c.destroy() },
});

it("logs each wake (with its time) and each stop (sleep or destroy) at debug", async () => {
	const lines: { level: string; message: string; fields: LogFields }[] = [];
	await using t = await setupTest(
		setup({
			use: { plain },
			logger: createLogger({
				level: "debug",
				sink: (level, message, fields) => lines.push({ level, message, fields }),
			}),
		}),
	);
	const handle = t.client.plain.getOrCreate("p");
	await handle.bump();
	await handle.rest();
	await t.settle();
	await handle.bump();
	await handle.end();
	await t.settle();
	const about = lines.filter(
		(line) => line.message === "actor woke" || line.message === "actor stopped",
	);
	expect(about.map((line) => [line.level, line.message, line.fields.as ?? null])).toEqual([
		["debug", "actor woke", null],
		["debug", "actor stopped", "sleep"],
		["debug", "actor woke", null],
		["debug", "actor stopped", "destroy"],
	]);
	expect(about[0]?.fields).toMatchObject({ actor: "plain", restored: 0, ms: expect.any(Number) });
});
