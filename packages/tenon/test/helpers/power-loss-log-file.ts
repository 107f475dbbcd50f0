// A commit log file in memory that knows which writes were synced, so a
// test can cut the power: what was never datasynced is dropped, kept, or
// torn sector by sector, the way a disk may leave it. It plugs into the
// LMDB driver's `openLogFile` seam (openLmdbStorage), never into production.
import type { LogFile, OpenLogFile } from "../../src/storage/drivers/lmdb/log-file.js";

const SECTOR = 512;

/** What the disk keeps of writes that were not synced when the power went. */
export type Loss = "drop" | "keep" | "tear";

/** Thrown by a sync that the power cut interrupted. */
export class PowerCut extends Error {
	constructor() {
		super("power cut");
		this.name = "PowerCut";
	}
}

/** One simulated log file and the power switch of its disk. */
export class PowerLossLogFile implements LogFile {
	/** What a sync made durable. */
	#durable: Uint8Array;
	/** What the running process reads: durable bytes plus unsynced writes. */
	#current: Uint8Array;
	#pending: { position: number; bytes: Uint8Array }[] = [];
	/** Syncs left before the power goes (undefined: never). */
	#syncsLeft: number | undefined;
	#off = false;
	/** Syncs that completed. */
	syncs = 0;

	constructor(image: Uint8Array) {
		this.#durable = image.slice();
		this.#current = image.slice();
	}

	get size(): number {
		return this.#current.length;
	}

	/** The power goes during the `n`th sync from now (1 = the next). */
	cutAtSync(n: number): void {
		this.#syncsLeft = n;
	}

	get off(): boolean {
		return this.#off;
	}

	/** The file as the disk holds it after the power went, unsynced writes treated as `loss`. */
	imageAfterPowerLoss(loss: Loss, random: () => number): Uint8Array {
		const image = this.#durable.slice();
		for (const { position, bytes } of this.#pending) {
			for (let at = 0; at < bytes.length; at += SECTOR) {
				const keep = loss === "keep" || (loss === "tear" && random() < 0.5);
				if (keep) image.set(bytes.subarray(at, at + SECTOR), position + at);
			}
		}
		return image;
	}

	read(position: number, length: number): Uint8Array {
		return this.#current.slice(position, Math.min(this.#current.length, position + length));
	}

	writeSync(bytes: Uint8Array, position: number): void {
		if (this.#off) throw new PowerCut();
		if (position + bytes.length > this.#current.length) throw new Error("write past the end");
		this.#current.set(bytes, position);
		this.#pending.push({ position, bytes: bytes.slice() });
	}

	async write(bytes: Uint8Array, position: number): Promise<void> {
		this.writeSync(bytes, position);
	}

	datasyncSync(): void {
		if (this.#off) throw new PowerCut();
		if (this.#syncsLeft !== undefined && --this.#syncsLeft <= 0) {
			this.#off = true;
			throw new PowerCut();
		}
		for (const { position, bytes } of this.#pending) this.#durable.set(bytes, position);
		this.#pending = [];
		this.syncs++;
	}

	datasync(): Promise<void> {
		try {
			this.datasyncSync();
			return Promise.resolve();
		} catch (error) {
			// A sync the power interrupted never returns to the process.
			if (error instanceof PowerCut) return new Promise(() => {});
			return Promise.reject(error);
		}
	}

	/** The disk is full: the file cannot grow (`ENOSPC`), its existing blocks are written as usual. */
	noSpace = false;

	extend(size: number): void {
		if (this.#off) throw new PowerCut();
		if (this.noSpace && size > this.#current.length)
			throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
		if (size <= this.#current.length) return;
		const grow = (bytes: Uint8Array) => {
			const out = new Uint8Array(size);
			out.set(bytes);
			return out;
		};
		this.#current = grow(this.#current);
		this.#durable = grow(this.#durable);
	}

	close(): void {}
}

/** An `openLogFile` that opens `file` (a new zero-filled one when absent). */
export function openSimulatedLog(file?: PowerLossLogFile): {
	open: OpenLogFile;
	opened: () => PowerLossLogFile;
} {
	let current = file;
	return {
		open: (_path, initialSize) => {
			if (initialSize === undefined) return current;
			current ??= new PowerLossLogFile(new Uint8Array(initialSize));
			if (current.size < initialSize) current.extend(initialSize);
			return current;
		},
		opened: () => {
			if (current === undefined) throw new Error("the log was not opened");
			return current;
		},
	};
}
