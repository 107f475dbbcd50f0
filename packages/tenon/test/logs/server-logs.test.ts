import { describe, expect, it } from "vitest";
import { createLogger, type LogFields } from "../../src/common/logger.js";
import { actor, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

interface Line {
	level: string;
	message: string;
	fields: LogFields;
}

const lines: Line[] = [];

const greeter = actor({
	createState: () => ({ count: 0 }),
	onRequest: (c, request) => {
		c.log.info("greeting", { path: new URL(request.url).pathname });
		return new Response("hi");
	},
	actions: {
		greet: (c, name: string) => {
			c.state.count++;
			c.log.info("greeting", { name });
			return `hello ${name}`;
		},
		crash: () => {
			throw new Error("disk on fire");
		},
		greetLater: (c, name: string, times: number) => {
			for (let i = 0; i < times; i++) c.schedule.after(0, "greet", `${name}-${i}`);
		},
	},
});

const registry = setup({
	use: { greeter },
	logger: createLogger({
		level: "warn",
		levels: { actor: "info" },
		sink: (level, message, fields) => lines.push({ level, message, fields }),
	}),
});

const exposing = actor({
	createState: () => ({}),
	onRequest: () => new Response("ok", { headers: { "access-control-expose-headers": "x-foo" } }),
	actions: {},
});
const ORIGIN = "https://app.example";
const corsRegistry = setup({ use: { exposing }, logLevel: "silent", cors: { origin: ORIGIN } });

function actionUrl(base: string, key: string): string {
	return `${base}/gateway/greeter/action/greet?rvt-method=getOrCreate&rvt-key=${encodeURIComponent(key)}`;
}

async function greet(
	base: string,
	key: string,
	headers: Record<string, string> = {},
): Promise<Response> {
	return fetch(actionUrl(base, key), {
		method: "POST",
		headers: { "content-type": "application/json", ...headers },
		body: JSON.stringify({ args: ["ada"] }),
	});
}

function greetingLines(): Line[] {
	return lines.filter((line) => line.message === "greeting");
}

describe("logs of a real server", () => {
	it("puts actor name, key, id and the request id on an action's c.log line, and echoes the id", async () => {
		await using t = await setupTest(registry);
		lines.length = 0;
		const response = await greet(t.url, "room-1");
		expect(response.status).toBe(200);
		const requestId = response.headers.get("x-request-id");
		expect(requestId).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
		const [line] = greetingLines();
		expect(line?.level).toBe("info");
		expect(line?.fields).toMatchObject({
			module: "actor",
			actor: "greeter",
			key: ["room-1"],
			requestId,
			name: "ada",
		});
		expect(typeof line?.fields.actorId).toBe("string");
	});

	it("accepts a safe incoming x-request-id and replaces an unsafe one", async () => {
		await using t = await setupTest(registry);
		lines.length = 0;
		const accepted = await greet(t.url, "room-2", { "x-request-id": "trace-abc.123:4_5" });
		expect(accepted.headers.get("x-request-id")).toBe("trace-abc.123:4_5");
		const refused = await greet(t.url, "room-2", { "x-request-id": `evil id"}${"x".repeat(80)}` });
		const replaced = refused.headers.get("x-request-id");
		expect(replaced).not.toContain("evil");
		expect(replaced).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
		expect(greetingLines().map((line) => line.fields.requestId)).toEqual([
			"trace-abc.123:4_5",
			replaced,
		]);
	});

	it("gives each request its own id, also on errors and unknown routes", async () => {
		await using t = await setupTest(registry);
		const first = await greet(t.url, "room-3");
		const second = await greet(t.url, "room-3");
		expect(first.headers.get("x-request-id")).not.toBe(second.headers.get("x-request-id"));
		const missing = await fetch(`${t.url}/no/such/route`);
		expect(missing.status).toBe(404);
		expect(missing.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9._:-]+$/);
	});

	it("gives each WebSocket action its own request id on c.log lines", async () => {
		await using t = await setupTest(registry);
		lines.length = 0;
		const conn = t.client.greeter.getOrCreate("room-4").connect();
		try {
			expect(await conn.greet("ada")).toBe("hello ada");
			expect(await conn.greet("bob")).toBe("hello bob");
		} finally {
			await conn.dispose();
		}
		const ids = greetingLines().map((line) => line.fields.requestId);
		expect(ids).toHaveLength(2);
		expect(typeof ids[0]).toBe("string");
		expect(ids[0]).not.toBe(ids[1]);
		expect(greetingLines()[0]?.fields).toMatchObject({ actor: "greeter", key: ["room-4"] });
	});

	it("gives each scheduled action that fires its own request id on c.log lines", async () => {
		await using t = await setupTest(registry);
		lines.length = 0;
		await t.client.greeter.getOrCreate("room-5").greetLater("cy", 2);
		await t.clock.advance(1);
		await expect.poll(() => greetingLines().length).toBe(2);
		const ids = greetingLines().map((line) => line.fields.requestId);
		expect(typeof ids[0]).toBe("string");
		expect(typeof ids[1]).toBe("string");
		expect(ids[0]).not.toBe(ids[1]);
	});

	it("puts the request id on c.log lines of a raw onRequest handler", async () => {
		await using t = await setupTest(registry);
		lines.length = 0;
		const response = await fetch(
			`${t.url}/gateway/greeter/request/hello?rvt-method=getOrCreate&rvt-key=room-6`,
			{ headers: { "x-request-id": "raw-1" } },
		);
		expect(await response.text()).toBe("hi");
		expect(response.headers.get("x-request-id")).toBe("raw-1");
		expect(greetingLines()[0]?.fields).toMatchObject({
			actor: "greeter",
			key: ["room-6"],
			requestId: "raw-1",
			path: "/hello",
		});
	});

	it("logs an action's internal error under its request id, over HTTP and WebSocket", async () => {
		await using t = await setupTest(registry);
		lines.length = 0;
		const response = await fetch(
			`${t.url}/gateway/greeter/action/crash?rvt-method=getOrCreate&rvt-key=room-7`,
			{
				method: "POST",
				headers: { "content-type": "application/json", "x-request-id": "crash-1" },
				body: JSON.stringify({ args: [] }),
			},
		);
		expect(response.status).toBe(500);
		expect(response.headers.get("x-request-id")).toBe("crash-1");
		const conn = t.client.greeter.getOrCreate("room-7").connect();
		try {
			await expect(conn.crash()).rejects.toThrow();
		} finally {
			await conn.dispose();
		}
		const errors = lines.filter((line) => line.message === "error in action 'crash'");
		expect(errors).toHaveLength(2);
		expect(errors[0]?.fields).toMatchObject({ actor: "greeter", requestId: "crash-1" });
		expect(errors[0]?.fields.error).toBeInstanceOf(Error);
		expect(typeof errors[1]?.fields.requestId).toBe("string");
		expect(errors[1]?.fields.requestId).not.toBe("crash-1");
	});

	it("filters by module: runtime debug lines stay out at warn", async () => {
		await using t = await setupTest(registry);
		lines.length = 0;
		await greet(t.url, "room-5");
		expect(lines.every((line) => line.fields.module === "actor" || line.level !== "debug")).toBe(
			true,
		);
	});

	it("exposes x-request-id to browsers under CORS, beside what the actor exposes", async () => {
		await using t = await setupTest(corsRegistry);
		const response = await fetch(
			`${t.url}/gateway/exposing/request/?rvt-method=getOrCreate&rvt-key=k`,
			{ headers: { origin: ORIGIN } },
		);
		expect(await response.text()).toBe("ok");
		expect(response.headers.get("access-control-expose-headers")).toBe("x-foo, x-request-id");
		const plain = await fetch(`${t.url}/no/such/route`, { headers: { origin: ORIGIN } });
		expect(plain.headers.get("access-control-expose-headers")).toBe("x-request-id");
	});
});

// A shutdown said nothing in the logs (an SRE walkthrough, 2026-11-28): it says when it
// starts and when the actors stopped, with how long that took.
describe("a server's shutdown", () => {
	it("logs when it starts stopping and when it stopped", async () => {
		const said: Line[] = [];
		const server = await setup({
			use: { greeter },
			logger: createLogger({
				level: "info",
				sink: (level, message, fields) => said.push({ level, message, fields }),
			}),
		}).start({ port: 0, storage: memoryDriver() });
		await server.close();
		const messages = said.map((line) => line.message);
		const stopping = messages.indexOf("tenon stopping: actors sleep, connections close");
		const stopped = messages.indexOf("tenon stopped");
		expect(stopping).toBeGreaterThanOrEqual(0);
		expect(stopped).toBeGreaterThan(stopping);
		expect(said[stopped]?.fields.ms).toBeTypeOf("number");
	});
});
