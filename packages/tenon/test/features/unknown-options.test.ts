// An option Tenon does not know was ignored with no word: a misspelt
// `sleepTimout` left the actor on the default 30 s (a walkthrough,
// 2026-11-28). It is told at start, with the name it is closest to; not
// refused, as an actor ported from RivetKit may carry options of its own.
import { expect, it } from "vitest";
import { createLogger, type LogFields } from "../../src/common/logger.js";
import { actor, memoryDriver, setup } from "../../src/index.js";

it("warns at start of each option it does not know, naming the closest known one", async () => {
	const lines: { message: string; fields: LogFields }[] = [];
	const logger = createLogger({
		level: "warn",
		sink: (_level, message, fields) => lines.push({ message, fields }),
	});
	const box = actor({
		state: {},
		actions: { ping: () => 1 },
		options: { sleepTimout: 1_000, connectionLivenessInterval: 5_000 } as never,
	});
	const plain = actor({ state: {}, actions: {}, options: { sleepTimeout: 1_000 } });
	await using server = await setup({ use: { box, plain }, logger }).start({
		port: 0,
		host: "127.0.0.1",
		storage: memoryDriver(),
	});
	expect(server.url).toContain("127.0.0.1");
	const warned = lines.filter((line) => line.message.includes("option Tenon does not know"));
	expect(warned.map((line) => line.fields)).toEqual([
		expect.objectContaining({ actor: "box", option: "sleepTimout", didYouMean: "sleepTimeout" }),
		expect.objectContaining({ actor: "box", option: "connectionLivenessInterval" }),
	]);
	expect(warned[1]?.fields).not.toHaveProperty("didYouMean");
});
