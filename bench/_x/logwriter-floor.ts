import { closeSync, constants, fdatasyncSync, mkdtempSync, openSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLmdbEnv } from "../../packages/tenon/src/storage/drivers/lmdb/env.js";
import { openNodeLogFile } from "../../packages/tenon/src/storage/drivers/lmdb/log-file.js";
import {
	DEFAULT_COMMIT_LOG_LIMITS,
	LogWriter,
} from "../../packages/tenon/src/storage/drivers/lmdb/log-writer.js";

const dir = mkdtempSync(join(tmpdir(), "lwf-"));
const env = await openLmdbEnv(dir);
const file = openNodeLogFile(join(dir, "commit.log"), 1024 * 1024)!;
const writer = new LogWriter(env, file, DEFAULT_COMMIT_LOG_LIMITS, undefined);
const fd = openSync(join(dir, "plain.log"), constants.O_RDWR | constants.O_CREAT, 0o600);
const page = new Uint8Array(4096).fill(7);
for (let s = 0; s < 256; s++) writeSync(fd, page, 0, 4096, s * 4096);
fdatasyncSync(fd);
const key = new TextEncoder().encode("\u0001state");
const actorId = "abcdefabcdefabcd";
writer.commitSync([{ actorId, fence: 1, puts: [[key, new Uint8Array(12)]], deletes: [] }]);
let slot = 0;
let n = 0;
const s: Record<string, number[]> = { log: [], plain: [] };
for (let round = 0; round < Number(process.argv[2] ?? 20); round++) {
	if (round % 5 === 0) writer.checkpoint();
	for (let i = 0; i < 200; i++) {
		const t = performance.now();
		writer.commitSync([
			{
				actorId,
				fence: 1,
				puts: [[key, new Uint8Array([n++ & 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])]],
				deletes: [],
			},
		]);
		s.log!.push(performance.now() - t);
	}
	for (let i = 0; i < 200; i++) {
		const t = performance.now();
		writeSync(fd, page, 0, 4096, slot * 4096);
		fdatasyncSync(fd);
		slot = (slot + 1) % 256;
		s.plain!.push(performance.now() - t);
	}
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const c0 = process.cpuUsage();
for (const [k, v] of Object.entries(s)) console.log(k, (med(v) * 1000).toFixed(1), "µs");
closeSync(fd);
process.exit(0);
