/**
 * Hides secrets in text before it reaches the model or a client: every
 * configured secret (literal strings, e.g. API keys from the environment)
 * and every match of the patterns becomes `[redacted]`.
 */
export class Redactor {
	readonly #secrets: string[];
	readonly #patterns: RegExp[];

	constructor(
		options: { secrets?: readonly (string | undefined)[]; patterns?: readonly RegExp[] } = {},
	) {
		this.#secrets = (options.secrets ?? []).filter(
			(secret): secret is string => typeof secret === "string" && secret.length >= 4,
		);
		this.#patterns = (options.patterns ?? []).map(
			(pattern) =>
				new RegExp(
					pattern.source,
					pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`,
				),
		);
	}

	redact(text: string): string {
		return replaceSpans(text, this.spans(text), 0, text.length);
	}

	/** Where the secrets are in `text`: sorted, merged `[start, end)` ranges. */
	spans(text: string): [number, number][] {
		const found: [number, number][] = [];
		for (const secret of this.#secrets)
			for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1))
				found.push([at, at + secret.length]);
		for (const pattern of this.#patterns) {
			pattern.lastIndex = 0;
			for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
				if (match[0].length === 0) {
					pattern.lastIndex++;
					continue;
				}
				found.push([match.index, match.index + match[0].length]);
			}
		}
		found.sort((a, b) => a[0] - b[0]);
		const merged: [number, number][] = [];
		for (const span of found) {
			const last = merged.at(-1);
			if (last !== undefined && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
			else merged.push([span[0], span[1]]);
		}
		return merged;
	}
}

/** `text` from `from` to `to`, each part of a span in it replaced by `[redacted]`. */
function replaceSpans(
	text: string,
	spans: readonly [number, number][],
	from: number,
	to: number,
): string {
	let out = "";
	let at = from;
	for (const [start, end] of spans) {
		if (end <= from || start >= to) continue;
		if (start > at) out += text.slice(at, start);
		out += "[redacted]";
		at = Math.min(end, to);
	}
	return out + text.slice(at, to);
}

/** Patterns of common credentials (API keys, bearer tokens, private keys). */
export const COMMON_SECRET_PATTERNS: readonly RegExp[] = [
	/\bsk-[A-Za-z0-9_-]{16,}\b/,
	/\b(?:ghp|gho|ghu|ghs|github_pat)_[A-Za-z0-9_]{20,}\b/,
	/\bAKIA[0-9A-Z]{16}\b/,
	/\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/,
	// Up to the END, never past another BEGIN: each BEGIN's search stops at the
	// next, so the whole search is linear (a megabyte of BEGIN lines without an
	// END took 3.6 s, quadratic, before).
	/-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----(?:(?!-----BEGIN )[\s\S])*?-----END [A-Z ]{0,40}PRIVATE KEY-----/,
];

/**
 * Redacts a stream of text (a model's answer, token by token) as it goes,
 * without letting a secret out in part: text leaves word by word (up to the
 * last whitespace), and only where no secret found so far crosses the cut
 * (a secret may still be growing there: wait for more). Redaction also looks
 * at the last characters already released, so a `Bearer ` that left earlier
 * still catches the token that follows (which leaves as `[redacted]`). A run
 * without whitespace leaves in pieces of `holdback` characters; a secret
 * still growing past `4 * holdback` characters is released as `[redacted]`
 * up to there, and remembered from its start so that its rest is redacted
 * too (up to 64 KiB of secret).
 */
export class StreamRedactor {
	readonly #redactor: Redactor;
	readonly #holdback: number;
	/** The end of what was released (as received), for matches that start there. */
	#context = "";
	/** Text received and not released yet. */
	#pending = "";

	constructor(redactor: Redactor, holdback = 256) {
		this.#redactor = redactor;
		this.#holdback = holdback;
	}

	/** Takes more of the stream; returns the text safe to release now (often ""). */
	push(delta: string): string {
		this.#pending += delta;
		let cut = lastWhitespace(this.#pending) + 1;
		if (cut === 0) {
			if (this.#pending.length <= this.#holdback) return "";
			cut = this.#pending.length - this.#holdback;
		}
		const text = this.#context + this.#pending;
		const from = this.#context.length;
		const spans = this.#redactor.spans(text);
		const crossing = spans.some(([start, end]) => start < from + cut && end >= from + cut);
		if (crossing && this.#pending.length <= 4 * this.#holdback) return "";
		return this.#release(text, spans, from, from + cut);
	}

	/** The end of the stream: the rest, redacted. */
	end(): string {
		const text = this.#context + this.#pending;
		return this.#release(text, this.#redactor.spans(text), this.#context.length, text.length);
	}

	#release(text: string, spans: [number, number][], from: number, to: number): string {
		const out = replaceSpans(text, spans, from, to);
		// Released text is kept as context for matches starting there; a secret
		// cut by a forced release is kept from its start, so that its rest is
		// still recognized (patterns need its beginning).
		let keepFrom = to - RELEASED_CONTEXT;
		for (const [start, end] of spans)
			if (start < to && end >= to)
				keepFrom = Math.max(Math.min(keepFrom, start), to - MAX_SECRET_CONTEXT);
		this.#context = text.slice(Math.max(0, keepFrom), to);
		this.#pending = text.slice(to);
		return out;
	}
}

/** How many released characters redaction looks back at. */
const RELEASED_CONTEXT = 64;
/** The longest secret kept whole across a forced release. */
const MAX_SECRET_CONTEXT = 64 * 1024;

function lastWhitespace(text: string): number {
	for (let index = text.length - 1; index >= 0; index--) {
		const code = text.charCodeAt(index);
		if (code === 32 || code === 10 || code === 9 || code === 13) return index;
	}
	return -1;
}
