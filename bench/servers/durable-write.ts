// The durable floor's write (servers run with FLOOR_SYNC_FILE): one 4 KiB
// write at the next slot of a 1 MiB file, then fdatasync, what a commit of one
// small turn costs the device at least (Tenon's commit log writes one 4 KiB
// page and flushes it). Synchronous, on the main thread, as Tenon's is.
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";

const PAGE = 4096;
const SLOTS = 256;

/** A function that makes one durable write, or undefined without FLOOR_SYNC_FILE. */
export function durableWriter(): (() => void) | undefined {
	const path = process.env.FLOOR_SYNC_FILE;
	if (path === undefined || path === "") return undefined;
	const fd = openSync(path, "w+");
	const page = Buffer.alloc(PAGE, 7);
	// The file's blocks exist before the first call: a write then changes data, not the file's size.
	for (let slot = 0; slot < SLOTS; slot++) writeSync(fd, page, 0, PAGE, slot * PAGE);
	fdatasyncSync(fd);
	process.once("exit", () => closeSync(fd));
	let slot = 0;
	return () => {
		page.writeUInt32LE(slot, 0);
		writeSync(fd, page, 0, PAGE, slot * PAGE);
		fdatasyncSync(fd);
		slot = (slot + 1) % SLOTS;
	};
}
