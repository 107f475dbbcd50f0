// Micro-benchmark of the durable-commit floor on this machine, in one process:
// (a) one LMDB write transaction committed with its normal sync (what the
// lmdb driver's `log: false` mode does per commit), (b) one `write` and one
// `fdatasync` to a preallocated, zero-filled log file (what the commit log
// does per commit group), (c) the same write through an O_DSYNC descriptor.
// Rounds alternate the three so machine noise hits each alike.
//
//   npx tsx bench/commit-floor.ts [rounds] [dir]
import {
	closeSync,
	constants,
	fdatasyncSync,
	mkdtempSync,
	openSync,
	rmSync,
	writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "lmdb";

const rounds = Number(process.argv[2] ?? 10);
const dir = process.argv[3] ?? mkdtempSync(join(tmpdir(), "tenon-commit-floor-"));
const perRound = 200;
const logSize = 64 * 1024 * 1024;

const db = open({
	path: join(dir, "data.mdb"),
	noSubdir: true,
	overlappingSync: false,
	noMemInit: true,
});
const value = new Uint8Array(120).fill(7);

function zeroFilled(path: string, flags: number): number {
	const fd = openSync(path, flags, 0o600);
	const chunk = new Uint8Array(1024 * 1024);
	for (let at = 0; at < logSize; at += chunk.length) writeSync(fd, chunk, 0, chunk.length, at);
	fdatasyncSync(fd);
	return fd;
}
const plainFd = zeroFilled(join(dir, "plain.log"), constants.O_RDWR | constants.O_CREAT);
const dsyncPath = join(dir, "dsync.log");
closeSync(zeroFilled(dsyncPath, constants.O_RDWR | constants.O_CREAT));
const dsyncFd = openSync(dsyncPath, constants.O_RDWR | constants.O_DSYNC);
const record = new Uint8Array(180).fill(3);
let plainAt = 0;
let dsyncAt = 0;
let key = 0;

const samples: Record<string, number[]> = { lmdb: [], "write+fdatasync": [], "O_DSYNC write": [] };
function time(name: string, run: () => void): void {
	const list = samples[name] as number[];
	for (let i = 0; i < perRound; i++) {
		const start = process.hrtime.bigint();
		run();
		list.push(Number(process.hrtime.bigint() - start) / 1000);
	}
}
for (let round = 0; round < rounds; round++) {
	time("lmdb", () => db.transactionSync(() => db.putSync(`k${key++ % 1000}`, value)));
	time("write+fdatasync", () => {
		writeSync(plainFd, record, 0, record.length, plainAt);
		plainAt += record.length;
		fdatasyncSync(plainFd);
	});
	time("O_DSYNC write", () => {
		writeSync(dsyncFd, record, 0, record.length, dsyncAt);
		dsyncAt += record.length;
	});
}
const median = (list: number[]) =>
	[...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
const p95 = (list: number[]) =>
	[...list].sort((a, b) => a - b)[Math.floor(list.length * 0.95)] as number;
const base = median(samples.lmdb as number[]);
console.log("| commit | median µs | p95 µs | lmdb / this |\n| --- | --- | --- | --- |");
for (const [name, list] of Object.entries(samples)) {
	console.log(
		`| ${name} | ${median(list).toFixed(0)} | ${p95(list).toFixed(0)} | ${(base / median(list)).toFixed(2)} |`,
	);
}
await db.close();
closeSync(plainFd);
closeSync(dsyncFd);
if (process.argv[3] === undefined) rmSync(dir, { recursive: true, force: true });
