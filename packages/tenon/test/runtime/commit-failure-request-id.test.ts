// The error an operator looks for by the request id a client reports: a call answered 500
// because its commit failed left no log line with that id (an SRE walkthrough, 2026-11-29:
// the actor logged "commit failed" with no request id, and the answer's id matched nothing).
import { expect, it } from "vitest";
import { createLogger } from "../../src/common/logger.js";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage } from "../helpers/controllable-storage.js";

const counter = actor({ state: { n: 0 }, actions: { add: (c) => ++c.state.n } });

it("a call whose commit failed is logged with its request id", async () => {
	const logged: { message: string; fields: unknown }[] = [];
	const storage = controllableStorage(memoryDriver());
	await using t = await setupTest(
		setup({
			use: { counter },
			logger: createLogger({
				level: "warn",
				sink: (_level, message, fields) => logged.push({ message, fields }),
			}),
		}),
		{ storage: storage.driver },
	);
	const call = () =>
		fetch(`${t.url}/gateway/counter/action/add?rvt-method=getOrCreate&rvt-key=a`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ args: [] }),
		});
	expect((await call()).status).toBe(200);
	storage.failNext(1);
	const failed = await call();
	expect(failed.status).toBe(500);
	const requestId = failed.headers.get("x-request-id") as string;
	expect(requestId).toBeTruthy();
	expect(logged.some((line) => JSON.stringify(line.fields ?? {}).includes(requestId))).toBe(true);
});
