// Adds lockfile entries for optional platform packages the registry could not
// serve when the lockfile was written.
//
// Why: this machine's npm registry answers 404 for some other-platform
// binaries (e.g. @biomejs/cli-darwin-arm64). npm then writes no lock entry
// for them and `npm ci` rejects the lockfile it just wrote ("Missing: x@ from
// lock file", npm/cli#9846). An entry with the right os/cpu/libc lets `npm ci`
// skip the package on other platforms and fetch it where it belongs.
//
// Usage: node scripts/complete-lockfile.mjs [lockfile] [--check]
//   lockfile  defaults to the root package-lock.json (bench/package-lock.json
//             holds the benchmark's peers)
//   --check   exit 1 (and list them) if entries are missing, change nothing.
import { readFileSync, writeFileSync } from "node:fs";

const LOCKFILE =
	process.argv.slice(2).find((arg) => !arg.startsWith("--")) ??
	new URL("../package-lock.json", import.meta.url);
const OS = ["android", "darwin", "linux", "win32", "freebsd", "openbsd", "netbsd", "sunos", "aix"];
const CPU = [
	"arm64",
	"x64",
	"arm",
	"ia32",
	"ppc64",
	"s390x",
	"riscv64",
	"loong64",
	"mips64el",
	"wasm32",
];

/** os/cpu/libc from a platform package name like `@scope/tool-linux-arm64-musl`. */
function platformOf(name) {
	const parts = name.split("/").pop().split("-");
	const os = parts.find((part) => OS.includes(part));
	const cpu = parts.find((part) => CPU.includes(part));
	const libc = parts.includes("musl") ? "musl" : parts.includes("gnu") ? "glibc" : undefined;
	return { os, cpu, libc };
}

/** Where npm would look for `name` when required from package path `parent`. */
function resolves(packages, parent, name) {
	let base = parent;
	for (;;) {
		if (packages[`${base}${base === "" ? "" : "/"}node_modules/${name}`]) return true;
		if (base === "") return false;
		const at = base.lastIndexOf("/node_modules/");
		base = at === -1 ? "" : base.slice(0, at);
	}
}

const text = readFileSync(LOCKFILE, "utf8");
// npm keeps the indentation of package.json (tabs here); keep whatever the file uses.
const indent = /^\{\n(\s+)"/.exec(text)?.[1] ?? "  ";
const lock = JSON.parse(text);
const packages = lock.packages;
const missing = [];
for (const [path, entry] of Object.entries(packages)) {
	for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
		if (resolves(packages, path, name)) continue;
		const { os, cpu, libc } = platformOf(name);
		const added = { version, optional: true };
		if (entry.dev) added.dev = true;
		// A package whose platform cannot be read from its name is never installed.
		added.os = [os ?? "none"];
		if (cpu) added.cpu = [cpu];
		if (libc) added.libc = [libc];
		missing.push([`node_modules/${name}`, added]);
	}
}

if (process.argv.includes("--check")) {
	if (missing.length > 0) {
		console.error(
			`${LOCKFILE} lacks ${missing.length} optional platform entries (run: node scripts/complete-lockfile.mjs ${LOCKFILE}):`,
		);
		for (const [key] of missing) console.error(`  ${key}`);
		process.exit(1);
	}
	process.exit(0);
}
// Appended: npm does not depend on key order, and appending keeps the diff small.
for (const [key, entry] of missing) packages[key] = entry;
writeFileSync(LOCKFILE, `${JSON.stringify(lock, null, indent)}\n`);
console.log(`added ${missing.length} optional platform entries to ${LOCKFILE}`);
