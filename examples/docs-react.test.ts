// docs/react.md's example compiles against the example registry: a review
// (2026-11-26) found it read `other.user.name` of the chat room, which has no
// presence `identify` (so `user` is null: tsc TS18047).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

it("docs/react.md's example type-checks against the example registry", () => {
	const markdown = readFileSync(join(root, "docs", "react.md"), "utf8");
	// Its registry is the example one (examples/registry.ts), wherever the text imports it from.
	const snippet = /```tsx\n([\s\S]*?)```/
		.exec(markdown)?.[1]
		?.replace(/(import type \{ registry \} from )"[^"]*"/, '$1"./registry.js"');
	expect(snippet, "docs/react.md has a tsx example importing a registry").toContain(
		'"./registry.js"',
	);
	// Beside examples/registry.ts. A known error at the end proves tsc checked the file
	// (an unchecked file reports nothing).
	const file = join(import.meta.dirname, `.docs-react-${process.pid}.tsx`);
	const config = join(import.meta.dirname, `.docs-react-${process.pid}.json`);
	const canary = 'export const canary: number = "not a number";\n';
	writeFileSync(file, `${snippet}${canary}`);
	writeFileSync(
		config,
		JSON.stringify({
			extends: "../tsconfig.base.json",
			compilerOptions: { noEmit: true, jsx: "react-jsx" },
			files: [file],
		}),
	);
	try {
		const tsc = spawnSync(
			process.execPath,
			[join(root, "node_modules", "typescript", "bin", "tsc"), "-p", config, "--pretty", "false"],
			{ cwd: root, encoding: "utf8" },
		);
		// Only this file's errors: the libraries it imports are checked by `npm run typecheck`.
		const errors = `${tsc.stdout}${tsc.stderr}`
			.split("\n")
			.filter((line) => line.startsWith(relative(root, file)))
			.map((line) => line.replace(/^[^(]*/, ""));
		const lines = snippet?.split("\n").length ?? 0;
		expect(errors).toEqual([
			`(${lines},14): error TS2322: Type 'string' is not assignable to type 'number'.`,
		]);
	} finally {
		rmSync(file, { force: true });
		rmSync(config, { force: true });
	}
}, 60_000);
