// Console output of one run within its byte budget (inside a worker).

const TRUNCATION_MARKER = "[output truncated]";

/** Console lines within a byte budget (UTF-8, one extra byte per line for its newline). */
export class OutputCollector {
	#budget: number;
	#lines: string[] = [];
	#usedBytes = 0;
	#truncated = false;

	constructor(maxBytes: number) {
		this.#budget = maxBytes;
	}

	/** True once output was cut: later lines are dropped without being read. */
	get full(): boolean {
		return this.#truncated;
	}

	append(line: string): void {
		if (this.#truncated) return;
		const cost = Buffer.byteLength(line, "utf8") + 1;
		if (this.#usedBytes + cost <= this.#budget) {
			this.#lines.push(line);
			this.#usedBytes += cost;
			return;
		}
		const room = this.#budget - this.#usedBytes - 1;
		if (room > 0) this.#lines.push(truncateUtf8(line, room));
		this.#usedBytes = this.#budget;
		this.#truncated = true;
	}

	/** Lowers the budget to `maxBytes`, cutting lines from the end. */
	shrinkTo(maxBytes: number): void {
		if (this.#usedBytes <= maxBytes) {
			this.#budget = Math.min(this.#budget, maxBytes);
			return;
		}
		const lines = this.#lines;
		this.#lines = [];
		this.#usedBytes = 0;
		this.#budget = maxBytes;
		this.#truncated = false;
		for (const line of lines) this.append(line);
		this.#truncated = true;
	}

	lines(): string[] {
		return this.#truncated ? [...this.#lines, TRUNCATION_MARKER] : [...this.#lines];
	}
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, cut between code points. */
export function truncateUtf8(text: string, maxBytes: number): string {
	if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
	let bytes = 0;
	let end = 0;
	for (const char of text) {
		const size = Buffer.byteLength(char, "utf8");
		if (bytes + size > maxBytes) break;
		bytes += size;
		end += char.length;
	}
	return text.slice(0, end);
}
