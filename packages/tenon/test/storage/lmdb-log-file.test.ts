import { execFileSync } from "node:child_process";
import {
	closeSync,
	constants,
	mkdtempSync,
	openSync,
	readdirSync,
	readFileSync,
	readlinkSync,
	rmSync,
	writeFileSync,
	writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
	LOG_BLOCK,
	type LogFile,
	openBufferedLogFile,
	openNodeLogFile,
} from "../../src/storage/drivers/lmdb/log-file.js";
import { bundleFixture } from "../helpers/child-server.js";

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

/** What the file system of `dir` does with O_DIRECT: refuses it, or takes a misaligned length too. */
function directSupport(dir: string): "none" | "strict" | "lenient" {
	const path = join(dir, "probe");
	writeFileSync(path, new Uint8Array(2 * LOG_BLOCK));
	let fd: number;
	try {
		fd = openSync(path, constants.O_RDWR | constants.O_DIRECT);
	} catch {
		return "none";
	} finally {
		rmSync(path, { force: true });
	}
	try {
		writeSync(fd, new Uint8Array(LOG_BLOCK + 100), 0, LOG_BLOCK + 100, 0);
		return "lenient";
	} catch {
		return "strict";
	} finally {
		closeSync(fd);
	}
}

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
		// ext4 and XFS (the test machines' temporary directories) take O_DIRECT; a file
		// system that refuses it gets buffered writes.
		expect(hasDirect(path)).toBe(directSupport(dir) !== "none");
		file.writeSync(block(7), LOG_BLOCK);
		file.datasyncSync();
		expect(file.read(LOG_BLOCK, LOG_BLOCK)).toEqual(block(7));
		expect(file.read(0, LOG_BLOCK)).toEqual(block(0));
		// Read again by a new opening, as a recovery reads it.
		const again = openNodeLogFile(path) as LogFile;
		try {
			expect(again.size).toBe(8 * LOG_BLOCK);
			const whole = again.read(0, again.size);
			expect(whole.length).toBe(8 * LOG_BLOCK);
			expect(whole.subarray(LOG_BLOCK, 2 * LOG_BLOCK)).toEqual(block(7));
			expect(again.read(6 * LOG_BLOCK, 10 * LOG_BLOCK)).toEqual(block(0, 2));
		} finally {
			again.close();
		}
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

	it("grows with zeros over old bytes", () => {
		const { file } = open(openNodeLogFile, LOG_BLOCK);
		file.writeSync(block(5), 0);
		file.extend(3 * 1024 * 1024 + LOG_BLOCK);
		expect(file.size).toBe(3 * 1024 * 1024 + LOG_BLOCK);
		expect(file.read(0, LOG_BLOCK)).toEqual(block(5));
		const grown = file.read(LOG_BLOCK, 3 * 1024 * 1024);
		expect(grown.length).toBe(3 * 1024 * 1024);
		expect(grown.every((byte) => byte === 0)).toBe(true);
	});

	it("refuses a write while another is in flight (they share the aligned memory)", async () => {
		const { file, path } = open();
		if (!hasDirect(path)) return;
		const first = file.write(block(1), 0);
		expect(() => file.writeSync(block(2), LOG_BLOCK)).toThrow(/one operation at a time/);
		await first;
		file.writeSync(block(2), LOG_BLOCK);
		expect(file.read(0, 2 * LOG_BLOCK)).toEqual(new Uint8Array([...block(1), ...block(2)]));
	});

	it("falls back to buffered writes for good when the kernel refuses a direct write", async (context) => {
		const { file, path } = open();
		// ext4 and XFS refuse a direct write of a length that is no multiple of the device's
		// block (EINVAL); btrfs and tmpfs take it, buffering it themselves.
		if (directSupport(dir) !== "strict") context.skip();
		expect(hasDirect(path)).toBe(true);
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

	it("works through the page cache in a process without WebAssembly (--jitless), one descriptor", async () => {
		dir = mkdtempSync(join(tmpdir(), "tenon-log-file-"));
		const bundle = await bundleFixture(
			join(import.meta.dirname, "fixtures", "log-file-jitless.ts"),
		);
		const output = execFileSync(process.execPath, ["--jitless", bundle], {
			env: { ...process.env, TENON_DATA_DIR: dir },
			encoding: "utf8",
			stdio: ["ignore", "pipe", "ignore"],
		});
		expect(JSON.parse(output)).toEqual({ webAssembly: false, descriptors: 1, readBack: true });
	});
});
