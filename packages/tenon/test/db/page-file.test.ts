// The page file hands the chunks a flush wrote to its sink without copying
// them (a commit may still be reading them); every later change must go to a
// copy, and what was handed over must stay exactly what was flushed.
import { describe, expect, it } from "vitest";
import { CHUNK_SIZE, PageFile, type PageSink } from "../../src/db/page-file.js";
import type { Entry, KeyRange } from "../../src/storage/interfaces.js";

/** A sink that keeps what it was given, like an actor's buffered writes. */
class RecordingSink implements PageSink {
	readonly puts: Entry[] = [];
	readonly ranges: KeyRange[] = [];
	/** The stored entries (last put per key wins; deleted ranges removed). */
	readonly stored = new Map<string, Entry>();

	put(key: Uint8Array, value: Uint8Array): void {
		this.puts.push([key, value]);
		this.stored.set(Buffer.from(key).toString("hex"), [key, value]);
	}

	delete(key: Uint8Array): void {
		this.stored.delete(Buffer.from(key).toString("hex"));
	}

	deleteRange(range: KeyRange): void {
		this.ranges.push(range);
		for (const [hex, [key]] of this.stored) {
			const k = Buffer.from(key);
			const afterStart = range.start === undefined || Buffer.compare(k, range.start) >= 0;
			const beforeEnd = range.end === undefined || Buffer.compare(k, range.end) < 0;
			if (afterStart && beforeEnd) this.stored.delete(hex);
		}
	}

	entries(): Entry[] {
		return [...this.stored.values()];
	}
}

function filled(length: number, byte: number): Uint8Array {
	return new Uint8Array(length).fill(byte);
}

function readAll(file: PageFile): Uint8Array {
	const bytes = new Uint8Array(file.size);
	file.read(bytes, 0);
	return bytes;
}

describe("PageFile", () => {
	it("keeps flushed chunks as they were when later writes change the same chunks", () => {
		const file = new PageFile();
		const sink = new RecordingSink();
		file.write(filled(CHUNK_SIZE * 2, 1), 0);
		file.flush(sink);
		const handed = sink.puts.map(([, value]) => value.slice());
		expect(handed.length).toBe(3); // two chunks and the size record

		file.write(filled(100, 2), 10); // chunk 0
		file.write(filled(10, 3), CHUNK_SIZE + 5); // chunk 1
		for (const [i, [, value]] of sink.puts.entries()) expect(value).toEqual(handed[i]);

		const expected = filled(CHUNK_SIZE * 2, 1);
		expected.fill(2, 10, 110);
		expected.fill(3, CHUNK_SIZE + 5, CHUNK_SIZE + 15);
		expect(readAll(file)).toEqual(expected);

		// The second flush hands over the new contents, and a third write after it copies again.
		file.flush(sink);
		const second = sink.puts.slice(3);
		expect(second.map(([, value]) => value[10])).toEqual([2, 3]);
		file.write(filled(1, 9), 10);
		expect(second[0]?.[1][10]).toBe(2);
	});

	it("copies a chunk handed to the sink before truncating inside it", () => {
		const file = new PageFile();
		const sink = new RecordingSink();
		file.write(filled(CHUNK_SIZE * 3, 7), 0);
		file.flush(sink);
		const lastKept = sink.puts[1]?.[1] as Uint8Array;
		const before = lastKept.slice();

		file.truncate(CHUNK_SIZE + 100);
		expect(lastKept).toEqual(before);
		expect(file.size).toBe(CHUNK_SIZE + 100);

		file.flush(sink);
		// The chunks past the end are deleted, the cut one is stored zeroed past the new end.
		expect(sink.ranges.length).toBe(1);
		const rebuilt = PageFile.fromEntries(sink.entries());
		expect(rebuilt.size).toBe(CHUNK_SIZE + 100);
		expect(readAll(rebuilt)).toEqual(filled(CHUNK_SIZE + 100, 7));
		const tail = new Uint8Array(CHUNK_SIZE - 100);
		expect(rebuilt.read(tail, CHUNK_SIZE + 100)).toBe(0);
		expect(tail).toEqual(new Uint8Array(CHUNK_SIZE - 100));
	});

	it("rebuilds from its flushed entries, unchanged by writes after the flush", () => {
		const file = new PageFile();
		const sink = new RecordingSink();
		const data = new Uint8Array(CHUNK_SIZE * 5 + 123);
		for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
		file.write(data, 0);
		file.flush(sink);
		file.write(filled(CHUNK_SIZE * 5, 0xee), 50); // not flushed

		const rebuilt = PageFile.fromEntries(sink.entries());
		expect(rebuilt.size).toBe(data.length);
		expect(readAll(rebuilt)).toEqual(data);
		expect(rebuilt.dirty).toBe(false);
	});

	it("flushes nothing when nothing changed, and only the chunks written since", () => {
		const file = new PageFile();
		const sink = new RecordingSink();
		file.write(filled(CHUNK_SIZE * 4, 1), 0);
		file.flush(sink);
		const count = sink.puts.length;
		file.flush(sink);
		expect(sink.puts.length).toBe(count);

		file.write(filled(4, 5), CHUNK_SIZE * 2 + 8);
		expect(file.dirty).toBe(true);
		file.flush(sink);
		expect(sink.puts.length).toBe(count + 1);
		expect(sink.puts[count]?.[1][8]).toBe(5);
	});
});
