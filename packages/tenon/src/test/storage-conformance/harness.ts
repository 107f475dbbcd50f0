import type { StorageDriver, StorageHandles } from "../../storage/interfaces.js";

/** How a conformance suite gets a fresh driver. */
export interface ConformanceTarget {
	/** A driver over empty storage. Opening it again must see earlier commits. */
	createDriver(): Promise<StorageDriver>;
	/** Removes anything the driver left behind (temp directories, tables). */
	cleanup?(): Promise<void>;
}

/** Opens a fresh driver and closes it when the test is done. */
export async function withHandles<T>(
	target: ConformanceTarget,
	run: (handles: StorageHandles, driver: StorageDriver) => Promise<T>,
): Promise<T> {
	const driver = await target.createDriver();
	const handles = await driver.open();
	try {
		return await run(handles, driver);
	} finally {
		await handles.close();
		await target.cleanup?.();
	}
}

/** Bytes from a string or a list of byte values. */
export function b(value: string | number[]): Uint8Array {
	return typeof value === "string" ? new TextEncoder().encode(value) : Uint8Array.from(value);
}

/** A string view of bytes, for readable assertions. */
export function s(value: Uint8Array | undefined): string | undefined {
	return value === undefined ? undefined : new TextDecoder().decode(value);
}

let counter = 0;
/** A unique, valid-looking actor id (16 base-36 chars). */
export function testActorId(): string {
	counter++;
	return `t${counter.toString(36).padStart(6, "0")}${Math.random().toString(36).slice(2, 11).padEnd(9, "0")}`;
}
