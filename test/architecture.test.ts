// The layering docs/architecture.md describes, checked: the server reaches
// the runtime through its one port, and runtime files stay readable.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const src = join(import.meta.dirname, "..", "packages", "tenon", "src");

function importsOf(file: string): string[] {
	const text = readFileSync(file, "utf8");
	return [...text.matchAll(/from\s+"([^"]+)"/g)].map((match) => match[1] as string);
}

it("server/ and cluster/ import nothing from runtime/ but the ActorGateway port", () => {
	const offenders: string[] = [];
	let throughThePort = 0;
	for (const layer of ["server", "cluster"]) {
		for (const name of readdirSync(join(src, layer))) {
			if (!name.endsWith(".ts")) continue;
			for (const spec of importsOf(join(src, layer, name))) {
				if (spec === "../runtime/actor-gateway.js") throughThePort++;
				else if (spec.startsWith("../runtime/")) offenders.push(`${layer}/${name}: ${spec}`);
			}
		}
	}
	expect(offenders).toEqual([]);
	// The scan sees imports at all (the routes and sessions use the port).
	expect(throughThePort).toBeGreaterThanOrEqual(5);
});

it("plugins (workflow/, db/) reach the runtime only through published ports in actor/", () => {
	const offenders: string[] = [];
	for (const plugin of ["workflow", "db"]) {
		const dir = join(src, plugin);
		for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
			if (!entry.endsWith(".ts")) continue;
			for (const spec of importsOf(join(dir, entry)))
				if (/(^|\/)runtime\//.test(spec)) offenders.push(`${plugin}/${entry}: ${spec}`);
		}
	}
	expect(offenders).toEqual([]);
});

it("no hidden symbols carry runtime internals to plugins", () => {
	// Two brands only: they mark Tenon's errors so that `instanceof` holds for another copy of
	// Tenon in the process (a CommonJS registry next to the CLI), and carry nothing else.
	const brands = /Symbol\.for\("tenon\.(?:ActorError|OwnedElsewhereError)"\)/g;
	const offenders: string[] = [];
	for (const entry of readdirSync(src, { recursive: true, encoding: "utf8" })) {
		if (!entry.endsWith(".ts")) continue;
		const text = readFileSync(join(src, entry), "utf8").replace(brands, "");
		if (/Symbol\.for\("tenon\./.test(text)) offenders.push(entry);
	}
	expect(offenders).toEqual([]);
});

it("no file in runtime/ is over 500 lines", () => {
	const dir = join(src, "runtime");
	const long: string[] = [];
	for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
		if (!entry.endsWith(".ts")) continue;
		const lines = readFileSync(join(dir, entry), "utf8").split("\n").length;
		if (lines > 500) long.push(`${entry}: ${lines}`);
	}
	expect(long).toEqual([]);
});
