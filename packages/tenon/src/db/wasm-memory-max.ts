// Lowers the most memory a WebAssembly binary's own memory may grow to, by
// rewriting the maximum in its memory section. Emscripten bakes the maximum into
// the binary (wa-sqlite's: 2 GiB), and a module built for every use cannot
// know that one of its instances (the inspector's worker) must stay small.
// No maintained library edits one field of a binary in place; this does
// only that, and refuses any binary it does not understand.

/** Reads an unsigned LEB128 at `at`: its value and the index after it. */
function readLeb(bytes: Uint8Array, at: number): { value: number; end: number } {
	let value = 0;
	let shift = 0;
	let index = at;
	for (;;) {
		const byte = bytes[index++];
		if (byte === undefined || shift > 28) throw new Error("wasm-memory-max: bad LEB128");
		value += (byte & 0x7f) * 2 ** shift;
		if ((byte & 0x80) === 0) return { value, end: index };
		shift += 7;
	}
}

/**
 * A copy of `binary` whose one memory may grow to at most `maxBytes` (whole 64 KiB pages;
 * never below its initial size). The new maximum is written in the bytes the old one took
 * (LEB128 allows padding), so no section moves. Throws on a binary it cannot rewrite so.
 */
export function withMemoryMax(binary: Uint8Array, maxBytes: number): Uint8Array {
	const bytes = new Uint8Array(binary);
	let at = 8; // magic and version
	while (at < bytes.length) {
		const id = bytes[at++];
		const size = readLeb(bytes, at);
		if (id !== 5) {
			at = size.end + size.value;
			continue;
		}
		const count = readLeb(bytes, size.end);
		const flags = bytes[count.end];
		if (count.value !== 1 || flags !== 1)
			throw new Error("wasm-memory-max: not one memory with a maximum");
		const initial = readLeb(bytes, count.end + 1);
		const max = readLeb(bytes, initial.end);
		const pages = Math.max(initial.value, Math.floor(maxBytes / 65_536));
		const width = max.end - initial.end;
		if (pages >= 2 ** (7 * width)) throw new Error("wasm-memory-max: the new maximum does not fit");
		for (let i = 0; i < width; i++) {
			const last = i === width - 1;
			bytes[initial.end + i] = ((pages >>> (7 * i)) & 0x7f) | (last ? 0 : 0x80);
		}
		return bytes;
	}
	throw new Error("wasm-memory-max: no memory section");
}
