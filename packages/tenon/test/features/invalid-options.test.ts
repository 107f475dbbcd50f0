// Actor options read from the environment (`Number(process.env.SLEEP_MS)`)
// may be NaN or negative: such an actor slept right after every call, with
// no word (a docs walkthrough, 2026-11-28). Bad values are refused where the
// actor is defined, naming the option.
import { describe, expect, it } from "vitest";
import type { ActorOptions } from "../../src/actor/options.js";
import { actor } from "../../src/index.js";

const define = (options: Record<string, unknown>) => () =>
	actor({ state: {}, actions: {}, options: options as ActorOptions });

describe("actor options", () => {
	it.each([
		["sleepTimeout", Number.NaN],
		["sleepTimeout", -5],
		["sleepGracePeriod", -1],
		["actionTimeout", 0],
		["actionTimeout", "5s"],
		["connectTimeout", Number.NaN],
		["wakeTimeout", 0],
		["connectionResumeTimeout", -1],
		["stateSaveInterval", 0],
		["dbStatementTimeout", -10],
		["dbTransactionTimeout", Number.NaN],
		["maxQueueSize", -1],
		["maxQueueSize", 1.5],
		["maxQueueMessageSize", Number.NaN],
		["maxQueueDeliveries", 0],
		["maxDeadLetters", -1],
		["maxSchedules", "10"],
		["maxScheduleArgsSize", -1],
		["maxDatabaseSize", 0],
		["turnHistory", -1],
		["noSleep", "yes"],
		["hibernateConnections", 1],
		["durability", "fast"],
		["canHibernateWebSocket", "true"],
	])("refuses %s: %s", (name, value) => {
		expect(define({ [name]: value })).toThrow(new RegExp(`options\\.${name} `));
	});

	it("takes good values, Infinity for times and sizes, and undefined as the default", () => {
		expect(
			define({
				sleepTimeout: 0,
				sleepGracePeriod: 0,
				actionTimeout: Number.POSITIVE_INFINITY,
				maxQueueSize: 0,
				maxDeadLetters: 0,
				maxDatabaseSize: Number.POSITIVE_INFINITY,
				turnHistory: 10,
				noSleep: true,
				durability: "relaxed",
				canHibernateWebSocket: () => true,
				connectTimeout: undefined,
			}),
		).not.toThrow();
	});
});
