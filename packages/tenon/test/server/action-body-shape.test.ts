// An HTTP action's body is `{ args: [...] }`. A body with other fields and
// no `args` (a typo: `{"arg": [5]}`) ran the action with no arguments
// before 2026-11-27 (a walkthrough); it is now `request/invalid` and runs
// nothing. No body, or `{}`, still calls with no arguments.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const counter = actor({
	state: { count: 0 },
	actions: {
		add: (c, by = 1) => {
			c.state.count += by;
			return c.state.count;
		},
		count: (c) => c.state.count,
	},
});
const registry = setup({ use: { counter }, logLevel: "silent" });

describe("an HTTP action's body", () => {
	it("refuses fields without args, and runs nothing", async () => {
		await using t = await setupTest(registry);
		const call = async (body: string) => {
			const response = await fetch(
				`${t.url}/gateway/counter/action/add?rvt-method=getOrCreate&rvt-key=k`,
				{ method: "POST", headers: { "content-type": "application/json" }, body },
			);
			return { status: response.status, body: await response.json() };
		};
		for (const body of ['{"arg":[5]}', '{"Args":[5]}', '{"args":5}', "[]", '{"args":null}']) {
			expect(await call(body)).toMatchObject({
				status: 400,
				body: { group: "request", code: "invalid" },
			});
		}
		expect(await t.client.counter.getOrCreate("k").count()).toBe(0);
		expect(await call("")).toEqual({ status: 200, body: { output: 1 } });
		expect(await call("{}")).toEqual({ status: 200, body: { output: 2 } });
		expect(await call('{"args":[5]}')).toEqual({ status: 200, body: { output: 7 } });
	});
});
