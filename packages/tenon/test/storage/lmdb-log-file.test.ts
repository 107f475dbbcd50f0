import { constants, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
	LOG_BLOCK,
	type LogFile,
	openBufferedLogFile,
	openNodeLogFile,
} from "../../src/storage/drivers/lmdb/log-file.js";

/** The open flags of this process's descriptors on `path`. */
function flagsOf(path: string): number[] {
	const flags: number[] = [];
	for (const fd of readdirSync("/proc/self/fd")) {
		let target: string;
		try {
			target = readlinkSync(`/proc/self/fd/${fd}`);
		} catch {
			continue;
		}
		if (target !== path) continue;
		const info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
		flags.push(Number.parseInt(/flags:\s*(\d+)/.exec(info)?.[1] ?? "0", 8));
	}
	return flags;
}

const hasDirect = (path: string) =>
	flagsOf(path).some((flags) => (flags & constants.O_DIRECT) !== 0);

const block = (fill: number, blocks = 1) => new Uint8Array(blocks * LOG_BLOCK).fill(fill);

describe.runIf(process.platform === "linux")("the commit log's file on Linux", () => {
	let dir: string;
	let file: LogFile | undefined;
	afterEach(() => {
		file?.close();
		file = undefined;
		rmSync(dir, { recursive: true, force: true });
	});
	const open = (opener = openNodeLogFile, size = 8 * LOG_BLOCK) => {
		dir = mkdtempSync(join(tmpdir(), "tenon-log-file-"));
		const path = join(dir, "commit.log");
		file = opener(path, size) as LogFile;
		return { file, path };
	};

	it("writes records past the page cache where the file system allows it, and reads them back", () => {
		const { file, path } = open();
		// The test machine's temporary directory (ext4) takes O_DIRECT; a file system that
		// refuses it gets buffered writes (below).
		expect(hasDirect(path)).toBe(true);
		file.writeSync(block(7), LOG_BLOCK);
		file.datasyncSync();
		expect(file.read(LOG_BLOCK, LOG_BLOCK)).toEqual(block(7));
		expect(file.read(0, LOG_BLOCK)).toEqual(block(0));
	});

	it("writes a record larger than the staging memory it keeps, whole", async () => {
		const { file } = open(openNodeLogFile, 2 * 1024 * 1024);
		const big = new Uint8Array(1024 * 1024 + 3 * LOG_BLOCK);
		for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
		file.writeSync(big, LOG_BLOCK);
		await file.write(block(9), 0);
		file.datasyncSync();
		// Buffer.equals: a deep comparison of a MiB of elements takes seconds.
		expect(Buffer.from(file.read(LOG_BLOCK, big.length)).equals(big)).toBe(true);
		expect(file.read(0, LOG_BLOCK)).toEqual(block(9));
	});

	it("grows with zeros through direct writes, over old bytes", () => {
		const { file } = open(openNodeLogFile, LOG_BLOCK);
		file.writeSync(block(5), 0);
		file.extend(3 * 1024 * 1024 + LOG_BLOCK);
		expect(file.size).toBe(3 * 1024 * 1024 + LOG_BLOCK);
		expect(file.read(0, LOG_BLOCK)).toEqual(block(5));
		const grown = file.read(LOG_BLOCK, 3 * 1024 * 1024);
		expect(grown.length).toBe(3 * 1024 * 1024);
		expect(grown.every((byte) => byte === 0)).toBe(true);
	});

	it("falls back to buffered writes for good when the kernel refuses a direct write", async () => {
		const { file, path } = open();
		expect(hasDirect(path)).toBe(true);
		// A length that is no multiple of the device's block: O_DIRECT refuses it (EINVAL)
		// before writing anything, so the same write goes through the page cache.
		const odd = new Uint8Array(LOG_BLOCK + 100).fill(3);
		file.writeSync(odd, 0);
		expect(hasDirect(path)).toBe(false);
		await file.write(block(4), 2 * LOG_BLOCK);
		file.datasyncSync();
		expect(file.read(0, odd.length)).toEqual(odd);
		expect(file.read(2 * LOG_BLOCK, LOG_BLOCK)).toEqual(block(4));
	});

	it("writes through the page cache when asked to", () => {
		const { file, path } = open(openBufferedLogFile);
		expect(flagsOf(path).length).toBe(1);
		expect(hasDirect(path)).toBe(false);
		file.writeSync(block(1), 0);
		file.datasyncSync();
		expect(file.read(0, LOG_BLOCK)).toEqual(block(1));
	});
});
