// `export const registry = setup(...)` failed to compile with `declaration:
// true` (the default of `tsc --init`): "The inferred type of 'registry'
// cannot be named without a reference to 'AnyEvents'", and the React hooks
// needed `EventArgsOf`, `EventName` and `EventsOf` (a docs walkthrough,
// 2026-11-28). The fixture exports what an app does; its declarations must
// name only what Tenon exports. It lives outside the package, so that it
// reaches Tenon through node_modules as an app does (inside, Tenon's own
// paths are nameable). TypeScript 7 has no compiler API: `tsc` runs.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const tsc = join(import.meta.dirname, "..", "node_modules", ".bin", "tsc");

it("an app's exported registry, client and hooks get declarations", async () => {
	const config = join(import.meta.dirname, "fixtures", "declarations", "tsconfig.json");
	const out = await mkdtemp(join(tmpdir(), "tenon-declarations-"));
	try {
		// Any output is an error (tsc prints nothing when it succeeds): a tsc that did not run,
		// or a config it refused, fails here too.
		const output = await promisify(execFile)(tsc, ["-p", config, "--outDir", out]).then(
			(done) => done.stdout + done.stderr,
			(failed: { stdout?: string; stderr?: string }) =>
				`${failed.stdout ?? ""}${failed.stderr ?? ""}` || String(failed),
		);
		expect(output).toBe("");
		const emitted = await readFile(
			join(out, "test", "fixtures", "declarations", "exported-registry.d.ts"),
			"utf8",
		);
		expect(emitted).toContain("export declare const registry");
	} finally {
		await rm(out, { recursive: true, force: true });
	}
}, 120_000);

// `exactOptionalPropertyTypes` (on in `tsc --init`'s config): `useActor({ key: id ? [id] :
// undefined, params: token ? { token } : undefined })`, the sign-in pattern react.md shows,
// failed with TS2379, and so did a client's handle options (a docs walkthrough, 2026-11-28).
it("an app compiled with exactOptionalPropertyTypes passes undefined options", async () => {
	const config = join(import.meta.dirname, "fixtures", "strict-app", "tsconfig.json");
	const output = await promisify(execFile)(tsc, ["-p", config]).then(
		(done) => done.stdout + done.stderr,
		(failed: { stdout?: string; stderr?: string }) =>
			`${failed.stdout ?? ""}${failed.stderr ?? ""}` || String(failed),
	);
	expect(output).toBe("");
}, 120_000);
