// Regression (an attacker probe, 2026-11-27): an action that logs a client's object as its
// line's fields (`c.log.info("webhook received", payload)`) let the client name `module`,
// `actor`, `key`, `actorId` and `requestId`: the call's values replaced the logger's own, so
// the line read as another actor's, or as another request's, to whoever searched for it. In
// pretty lines, a field named `x requestId` read as a real `requestId=` pair.
import { describe, expect, it } from "vitest";
import { formatJsonLine, formatPrettyLine } from "../../src/common/log-format.js";
import { createLogger, type LogFields } from "../../src/common/logger.js";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";

const TIME = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
const forged = {
	module: "server",
	actor: "bank",
	key: ["victim"],
	actorId: "v1ct1mv1ct1mv1ct",
	requestId: "victim-req-1",
};

function capture() {
	const lines: { message: string; fields: LogFields }[] = [];
	const logger = createLogger({
		level: "debug",
		sink: (_level, message, fields) => lines.push({ message, fields }),
	});
	return { logger, lines };
}

describe("a line's own fields", () => {
	it("are the logger's: a call's fields of those names are kept apart as field.<name>", () => {
		const { logger, lines } = capture();
		const actorLog = logger
			.child({ module: "actor" })
			.child({ actor: "box", key: ["attacker"], actorId: "a77ack3ra77ack3r" })
			.child({ requestId: "attacker-req" });
		actorLog.info("webhook received", { ...forged, note: "kept" });
		const fields = lines[0]?.fields ?? {};
		expect(fields).toMatchObject({
			module: "actor",
			actor: "box",
			key: ["attacker"],
			actorId: "a77ack3ra77ack3r",
			requestId: "attacker-req",
			note: "kept",
			"field.module": "server",
			"field.actor": "bank",
			"field.key": ["victim"],
			"field.actorId": "v1ct1mv1ct1mv1ct",
			"field.requestId": "victim-req-1",
		});
		const line = JSON.parse(formatJsonLine(TIME, "info", "m", fields));
		expect(line).toMatchObject({ module: "actor", actor: "box", requestId: "attacker-req" });
		expect(line["field.requestId"]).toBe("victim-req-1");
	});

	it("are a call's when the logger has none of that name (runtime lines name their actor so)", () => {
		const { logger, lines } = capture();
		logger.child({ module: "runtime" }).warn("held socket", { actorId: "x1", requestId: "r1" });
		expect(lines[0]?.fields).toEqual({ module: "runtime", actorId: "x1", requestId: "r1" });
	});

	it("module is never a call's (docs/observability.md)", () => {
		const { logger, lines } = capture();
		logger.info("m", { module: "server" });
		expect(lines[0]?.fields.module).toBeUndefined();
		expect(lines[0]?.fields["field.module"]).toBe("server");
	});

	it("pretty lines quote a field name that is not a plain word", () => {
		const line = formatPrettyLine(
			TIME,
			"info",
			"m",
			{ requestId: "real", "x requestId": "FORGED", "a=b": 1, plain_name: 2, "dotted.name": 3 },
			false,
		);
		expect(line).toContain(
			' requestId=real "x requestId"=FORGED "a=b"=1 plain_name=2 dotted.name=3',
		);
	});

	it("end to end: a client's object logged by an action does not take over the line", async () => {
		const written: LogFields[] = [];
		const box = actor({
			state: {},
			actions: {
				note: (c, payload: Record<string, unknown>) => {
					c.log.info("webhook received", payload);
				},
			},
		});
		const logger = createLogger({
			level: "info",
			sink: (_level, _message, fields) => written.push(fields),
		});
		await using server = await setup({ use: { box }, logger }).start({
			port: 0,
			host: "127.0.0.1",
			storage: memoryDriver(),
		});
		const answer = await fetch(
			`${server.url}/gateway/box/action/note?rvt-method=getOrCreate&rvt-key=attacker`,
			{
				method: "POST",
				headers: { "content-type": "application/json", "x-request-id": "attacker-req" },
				body: JSON.stringify({ args: [forged] }),
			},
		);
		expect(answer.status).toBe(200);
		const line = written.find((fields) => fields["field.actor"] !== undefined);
		expect(line).toMatchObject({
			module: "actor",
			actor: "box",
			key: ["attacker"],
			requestId: "attacker-req",
			"field.actor": "bank",
		});
		expect(line?.actorId).not.toBe(forged.actorId);
	});

	it("an actor's c.log outside a request keeps requestId apart too (a run loop logging a message)", async () => {
		const written: LogFields[] = [];
		const box = actor({
			state: {},
			queues: { inbox: queue<Record<string, unknown>>() },
			run: async (c) => {
				for await (const message of c.queue.iter({ names: ["inbox"] }))
					c.log.info("from the run loop", message.body);
			},
			actions: {},
		});
		const logger = createLogger({
			level: "info",
			sink: (_level, message, fields) => {
				if (message === "from the run loop") written.push(fields);
			},
		});
		await using server = await setup({ use: { box }, logger }).start({
			port: 0,
			host: "127.0.0.1",
			storage: memoryDriver(),
		});
		await fetch(`${server.url}/gateway/box/queue/inbox?rvt-method=getOrCreate&rvt-key=t`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ body: { requestId: "victim-req-1", note: "x" } }),
		});
		await expect.poll(() => written.length, { timeout: 5_000 }).toBe(1);
		expect(written[0]?.requestId).toBeUndefined();
		expect(written[0]).toMatchObject({
			actor: "box",
			"field.requestId": "victim-req-1",
			note: "x",
		});
	});
});
