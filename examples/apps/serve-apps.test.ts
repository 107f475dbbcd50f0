// The example apps' file server: files from dist only, and a malformed path
// is a 400 (an attacker probe got a 500 and a logged stack trace from
// `/apps/%E0`, 2026-11-25).
import { expect, it } from "vitest";
import { serveApps } from "./serve-apps.js";

const get = (path: string) => serveApps(new Request(`http://localhost${path}`));

it("serves the built apps, nothing outside them, and answers a malformed path with a 400", async () => {
	const page = await get("/apps/editor/");
	expect(page?.status).toBe(200);
	expect(page?.headers.get("content-type")).toBe("text/html; charset=utf-8");
	for (const path of ["/apps/%E0", "/apps/%C3%28", "/apps/editor/%FF"])
		expect((await get(path))?.status, path).toBe(400);
	for (const path of [
		"/apps/..%2f..%2fpackage.json",
		"/apps/%2e%2e/serve-apps.ts",
		"/apps/nothing-here",
	])
		expect(await get(path), path).toBeUndefined();
});
