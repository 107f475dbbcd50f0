import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startChildServer } from "../helpers/child-server.js";

/** The characters of `unsafe` that occur raw in `line`. */
function rawControls(line: string | undefined, unsafe: string): string[] {
	return [...unsafe].filter((c) => line?.includes(c));
}

const fixture = join(import.meta.dirname, "fixtures", "log-server.ts");
// No comma: a comma in `rvt-key` separates the parts of a compound key.
const HOSTILE = 'x\n{"msg":"forged"}\u001b[31m\r\u2028\u009b2J';

describe("logs of a server whose stderr is a pipe", () => {
	it("writes one JSON object per line, hostile keys and messages included", async () => {
		// No TENON_LOG_FORMAT: a pipe is not a terminal, so the format is JSON.
		const server = await startChildServer(fixture, {
			TENON_LOG_LEVEL: "warn,actor=info",
			TENON_LOG_FORMAT: "",
		});
		let requestId: string | null = null;
		try {
			const response = await fetch(
				`${server.url}/gateway/echo/action/shout?rvt-method=getOrCreate&rvt-key=${encodeURIComponent(HOSTILE)}`,
				{
					method: "POST",
					headers: { "content-type": "application/json" },
					body: JSON.stringify({ args: [HOSTILE] }),
				},
			);
			expect(response.status).toBe(200);
			requestId = response.headers.get("x-request-id");
		} finally {
			await server.stop();
		}
		const lines = server
			.stderr()
			.split("\n")
			.filter((line) => line !== "");
		for (const line of lines) expect(rawControls(line, "\r\u001b\u009b\u2028")).toEqual([]);
		const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
		for (const line of parsed) {
			expect(typeof line.time).toBe("string");
			expect(["debug", "info", "warn", "error"]).toContain(line.level);
			expect(typeof line.msg).toBe("string");
		}
		expect(parsed.some((line) => line.msg === "forged")).toBe(false);
		// Levels per module from the environment: the server's info lines are filtered out.
		expect(parsed.some((line) => line.msg === "tenon listening")).toBe(false);
		const shout = parsed.find((line) => line.msg === HOSTILE);
		expect(shout).toMatchObject({
			level: "info",
			module: "actor",
			actor: "echo",
			key: [HOSTILE],
			requestId,
			text: HOSTILE,
			big: "100000000000000000000",
		});
		expect(shout?.error).toMatchObject({ name: "Error", message: HOSTILE });
	});

	it("writes readable lines with TENON_LOG_FORMAT=pretty, one per entry, without raw control characters", async () => {
		const server = await startChildServer(fixture, {
			TENON_LOG_LEVEL: "warn,actor=info",
			TENON_LOG_FORMAT: "pretty",
		});
		try {
			const response = await fetch(
				`${server.url}/gateway/echo/action/shout?rvt-method=getOrCreate&rvt-key=k`,
				{
					method: "POST",
					headers: { "content-type": "application/json" },
					body: JSON.stringify({ args: [HOSTILE] }),
				},
			);
			expect(response.status).toBe(200);
		} finally {
			await server.stop();
		}
		const lines = server
			.stderr()
			.split("\n")
			.filter((line) => line !== "");
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}actor {4}x\\n/);
		expect(rawControls(lines[0], "\r\u001b\u009b\u2028")).toEqual([]);
		expect(lines[0]).toContain("actor=echo");
	});
});
