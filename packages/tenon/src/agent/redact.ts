import { cutText } from "../common/text-cut.js";

/**
 * Hides secrets in text before it reaches the model or a client: every
 * configured secret (literal strings, e.g. API keys from the environment)
 * and every match of the patterns becomes `[redacted]`.
 */
export class Redactor {
	readonly #secrets: string[];
	/** Each secret's KMP failure table (see {@link partialSecretFrom}). */
	readonly #failures: Int32Array[];
	readonly #patterns: RegExp[];
	/** See {@link RedactorOptions.streamHoldback}. */
	readonly streamHoldback: number;

	constructor(options: RedactorOptions = {}) {
		this.#secrets = (options.secrets ?? []).filter(
			(secret): secret is string => typeof secret === "string" && secret.length >= 4,
		);
		this.#failures = this.#secrets.map(failureTable);
		const custom = (options.patterns ?? []).some(
			(pattern) => !COMMON_SECRET_PATTERNS.includes(pattern),
		);
		const holdback = options.streamHoldback ?? (custom ? DEFAULT_PATTERN_HOLDBACK : 0);
		if (!(Number.isInteger(holdback) && holdback >= 0 && holdback <= MAX_STREAM_HOLDBACK))
			throw new TypeError(
				`Redactor: streamHoldback must be an integer from 0 to ${MAX_STREAM_HOLDBACK}`,
			);
		this.streamHoldback = holdback;
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

	/** The longest configured secret's length (a stream holds back at least that much). */
	get longestSecret(): number {
		return this.#secrets.reduce((longest, secret) => Math.max(longest, secret.length), 0);
	}

	/**
	 * Where a private key begins in `text` with no end after it yet (-1: none):
	 * a stream holds text back from there, as the key's pattern only matches
	 * once its END line has come (a key streamed line by line left line by line).
	 */
	unfinishedFrom(text: string): number {
		if (!this.#patterns.some((pattern) => pattern.source.includes("PRIVATE KEY"))) return -1;
		const begin = text.lastIndexOf("-----BEGIN ");
		if (begin === -1 || keyEndAfter(text, begin)) return -1;
		// A private key's header, or one still arriving; any other (a certificate) holds nothing.
		const header = text.slice(begin, begin + 64);
		if (PRIVATE_KEY_HEADER.test(header) || PARTIAL_HEADER.test(header)) return begin;
		return -1;
	}

	/**
	 * Where the longest end of `text` that begins a configured secret starts
	 * (-1: none): a stream holds text back from there, as the secret is only
	 * found whole. A secret with spaces streamed word by word left every word
	 * but its last before 2026-11-28 (an attacker probe). Linear in the
	 * secrets' lengths (a Knuth-Morris-Pratt scan of the text's last
	 * characters).
	 */
	partialSecretFrom(text: string): number {
		let longest = 0;
		for (const [index, secret] of this.#secrets.entries()) {
			const failure = this.#failures[index] as Int32Array;
			let matched = 0;
			for (let at = Math.max(0, text.length - secret.length + 1); at < text.length; at++) {
				const code = text.charCodeAt(at);
				while (matched > 0 && (matched === secret.length || code !== secret.charCodeAt(matched)))
					matched = failure[matched - 1] as number;
				if (code === secret.charCodeAt(matched)) matched++;
			}
			// The whole secret at the end is found by spans(); a shorter start of it may follow.
			if (matched === secret.length) matched = failure[matched - 1] as number;
			longest = Math.max(longest, matched);
		}
		return longest === 0 ? -1 : text.length - longest;
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

/** A {@link Redactor}'s configuration. */
export interface RedactorOptions {
	/** Literal secrets (4 characters or more; others are ignored). */
	secrets?: readonly (string | undefined)[];
	/** Patterns whose matches are secrets ({@link COMMON_SECRET_PATTERNS} are not added here). */
	patterns?: readonly RegExp[];
	/**
	 * Characters a stream ({@link StreamRedactor}) holds back from its end,
	 * besides the word it is in, so that a pattern's match that spans words
	 * (a card number `/\d{4} \d{4} \d{4} \d{4}/`) is found whole before any
	 * of it leaves: a match is only found once its last word came, and words
	 * before it had left. Default: 64 when a pattern other than the common
	 * ones is given, else 0 (no common pattern spans words, and configured
	 * secrets are held back exactly). A match longer than this that spans
	 * words may leave its beginning. At most 4,096.
	 */
	streamHoldback?: number;
}

/** {@link RedactorOptions.streamHoldback}'s default with patterns of the user's. */
const DEFAULT_PATTERN_HOLDBACK = 64;
const MAX_STREAM_HOLDBACK = 4096;

/** `failure[i]`: the length of the longest proper start of `text[0..i]` that also ends it. */
function failureTable(text: string): Int32Array {
	const failure = new Int32Array(text.length);
	let matched = 0;
	for (let at = 1; at < text.length; at++) {
		while (matched > 0 && text.charCodeAt(at) !== text.charCodeAt(matched))
			matched = failure[matched - 1] as number;
		if (text.charCodeAt(at) === text.charCodeAt(matched)) matched++;
		failure[at] = matched;
	}
	return failure;
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

/**
 * Characters redacted past a cut, so that a secret the cut crosses is caught
 * whole (or dropped with them): see {@link redactedHead}.
 */
const REDACT_MARGIN = 16 * 1024;

/** The most characters {@link redactedHead} redacts to find a head of the length asked. */
const MAX_HEAD_SCAN = 1024 * 1024;

/** The beginning of a text, redacted. */
export interface RedactedHead {
	/** Redacted, without any part of a secret. */
	readonly text: string;
	/** True if `text` is all of the text redacted (nothing was cut). */
	readonly whole: boolean;
}

/**
 * The beginning of `text`, redacted, at least `length` characters long
 * when the text allows it, without any part of a secret the cut crosses:
 * redacting a megabyte a tool fetched whole cost seconds of the loop, so
 * only a head is redacted, {@link REDACT_MARGIN} characters longer than
 * asked, and the margin is dropped after redaction (a secret the raw cut
 * crosses is at the end of the redacted head, in the margin). Redaction
 * shortens a text (a private key becomes `[redacted]`), so the raw head
 * grows until its redacted form is long enough, up to a megabyte; before
 * 2026-11-25 a fixed raw cut fell inside what was shown once redaction
 * had shortened the text by more than the margin, and the head of a secret
 * cut there got out. A secret longer than the margin (a private key of more
 * than 16 KiB) is not caught whole when the cut crosses it.
 */
export function redactedHead(text: string, redactor: Redactor, length: number): RedactedHead {
	const margin = Math.max(REDACT_MARGIN, redactor.longestSecret);
	let end = Math.min(text.length, length + margin);
	for (;;) {
		const redacted = redactor.redact(text.slice(0, end));
		if (end === text.length) return { text: redacted, whole: true };
		if (redacted.length >= length + margin || end >= MAX_HEAD_SCAN)
			return { text: redacted.slice(0, Math.max(0, redacted.length - margin)), whole: false };
		end = Math.min(text.length, end * 2, MAX_HEAD_SCAN);
	}
}

/**
 * `text` redacted and then cut to at most `max` characters: cut first, a
 * secret the cut crossed was no longer found, and its head was shown (a
 * tool call's id, a schema's issue quoting an unknown key: an attacker
 * probe, 2026-11-28). Without a redactor, only cut.
 */
export function redactedCut(text: string, redactor: Redactor | undefined, max: number): string {
	if (redactor === undefined) return cutText(text, max);
	return cutText(redactedHead(text, redactor, max).text, max);
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
	/-----BEGIN [A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:(?!-----BEGIN )[\s\S])*?-----END [A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----/,
	// A key cut short (no END line of its own) before another BEGIN, another kind's
	// END, or the end of the text: up to there. A model that starts a key again
	// ("oops, again:"), or a truncated key file a tool returns, left its body in
	// clear (reviews, 2026-11-26). PGP's armour ends in ` BLOCK-----`.
	// It needs a body (a run of 16 base64 characters): a header alone is no key. The
	// lookahead and back-reference take the text to the next BEGIN or END at once
	// (an atomic group): a search that could give back made a whole key quadratic.
	/-----BEGIN [A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?=(?:(?!-----BEGIN |-----END )[\s\S])*?[A-Za-z0-9+/=]{16})(?=((?:(?!-----BEGIN |-----END )[\s\S])*))\1(?=-----BEGIN |-----END (?![A-Z ]{0,40}PRIVATE KEY)|$)/,
];

/**
 * Redacts a stream of text (a model's answer, token by token) as it goes,
 * without letting a secret out in part: text leaves word by word (up to the
 * last whitespace), and only where no secret found so far crosses the cut
 * (a secret may still be growing there: wait for more), nor where a
 * configured secret may be starting (the end of the text is the start of
 * one: a secret with spaces comes word by word), nor within the redactor's
 * `streamHoldback` of the end (a custom pattern's match may span words).
 * Redaction also looks
 * at the last characters already released, so a `Bearer ` that left earlier
 * still catches the token that follows (which leaves as `[redacted]`). A run
 * without whitespace leaves in pieces of `holdback` characters; a secret
 * still growing past `4 * holdback` characters is released as `[redacted]`
 * up to there, and remembered from its start so that its rest is redacted
 * too (up to 64 KiB of secret). A private key is held back from its BEGIN
 * line until its END line comes; one that has not ended within 16 KiB is
 * redacted to the end of the stream.
 */
export class StreamRedactor {
	readonly #redactor: Redactor;
	readonly #holdback: number;
	/** Characters always held back from the end ({@link RedactorOptions.streamHoldback}). */
	readonly #windowed: number;
	/** The end of what was released (as received), for matches that start there. */
	#context = "";
	/** Text received and not released yet. */
	#pending = "";
	/**
	 * A private key's header is held in `#pending` and its END line has not
	 * come: only each delta is searched for the END (from `#endSearchFrom`),
	 * so a key that never ends costs time linear in the stream (rescanning
	 * all that was held on every delta made it quadratic before 2026-11-26).
	 */
	#holdingKey = false;
	#endSearchFrom = 0;
	/** A key never ended: everything from it to the end of the stream is redacted. */
	#redactingToEnd = false;
	/**
	 * `#pending`'s length when the last push held it back for a secret crossing
	 * the cut while a secret released in part is kept in `#context` (0: none).
	 * That context is up to 64 KiB, and searching it on every delta made an
	 * answer of `sk-` and then one character per token quadratic: 100,000
	 * tokens blocked the loop for 20 s (an attacker probe, 2026-11-26). Until
	 * `#pending` has doubled (or must be released), a delta is only held.
	 */
	#heldAt = 0;

	constructor(redactor: Redactor, holdback = 256) {
		this.#redactor = redactor;
		this.#windowed = redactor.streamHoldback;
		// A configured secret without whitespace longer than the holdback left in pieces.
		this.#holdback = Math.max(holdback, redactor.longestSecret + 1, this.#windowed + 1);
	}

	/** Takes more of the stream; returns the text safe to release now (often ""). */
	push(delta: string): string {
		if (this.#redactingToEnd) return "";
		this.#pending += delta;
		if (this.#holdingKey) {
			if (!keyEndAfter(this.#pending, this.#endSearchFrom)) {
				this.#endSearchFrom = Math.max(0, this.#pending.length - MAX_KEY_END_LINE);
				return this.#pending.length <= MAX_HELD_KEY ? "" : this.#redactToEnd();
			}
			this.#holdingKey = false;
		}
		const pending = this.#pending.length;
		if (this.#heldAt > 0 && pending < 2 * this.#heldAt && pending <= 4 * this.#holdback) return "";
		this.#heldAt = 0;
		// Up to the last word, and the redactor's holdback before the end (patterns across words).
		let cut = lastWhitespace(this.#pending, this.#pending.length - this.#windowed) + 1;
		if (cut === 0) {
			if (this.#pending.length <= this.#holdback) return "";
			cut = this.#pending.length - this.#holdback;
		}
		const text = this.#context + this.#pending;
		const from = this.#context.length;
		// The start of a configured secret at the end (with spaces, its words came one by one).
		const partial = this.#redactor.partialSecretFrom(text);
		if (partial !== -1 && partial < from + cut) {
			if (partial <= from) return "";
			cut = partial - from;
		}
		// A private key whose END has not come: held back (a key is a few KiB).
		const unfinished = this.#redactor.unfinishedFrom(text);
		// Once its header is whole, the key is held until its END (see #holdingKey).
		const wholeKey = unfinished !== -1 && PRIVATE_KEY_HEADER.test(text.slice(unfinished));
		if (unfinished !== -1 && unfinished < from + cut) {
			if (unfinished <= from) {
				if (wholeKey) this.#holdKey();
				return "";
			}
			cut = unfinished - from;
		}
		const spans = this.#redactor.spans(text);
		const crossing = spans.some(([start, end]) => start < from + cut && end >= from + cut);
		if (crossing && this.#pending.length <= 4 * this.#holdback) {
			if (this.#context.length > RELEASED_CONTEXT) this.#heldAt = this.#pending.length;
			return "";
		}
		const released = this.#release(text, spans, from, from + cut);
		if (wholeKey && from + cut === unfinished) this.#holdKey();
		return released;
	}

	#holdKey(): void {
		this.#holdingKey = true;
		this.#endSearchFrom = Math.max(0, this.#pending.length - MAX_KEY_END_LINE);
	}

	/** The key held has not ended within MAX_HELD_KEY: it and the rest of the stream are redacted. */
	#redactToEnd(): string {
		this.#redactingToEnd = true;
		this.#holdingKey = false;
		this.#pending = "";
		return "[redacted]";
	}

	/** The end of the stream: the rest, redacted (a private key that never ended too). */
	end(): string {
		if (this.#redactingToEnd) return "";
		// A key held to the end never ended: all that was held is its (a certificate after
		// it made the search below find no key, and the body left in clear: a review).
		if (this.#holdingKey) return this.#redactToEnd();
		const text = this.#context + this.#pending;
		let spans = this.#redactor.spans(text);
		// The start of a configured secret held at the end (a stream stopped, or an answer that
		// ends mid-secret): redacted, not released (a review, 2026-11-28). Not a character or three,
		// which would only redact the ends of ordinary answers.
		const partial = this.#redactor.partialSecretFrom(text);
		if (partial >= this.#context.length && text.length - partial >= MIN_HELD_SECRET) {
			const last = spans.at(-1);
			if (last !== undefined && last[1] >= partial) last[1] = text.length;
			else spans.push([partial, text.length]);
		}
		const unfinished = this.#redactor.unfinishedFrom(text);
		if (unfinished !== -1) {
			// From the key's start to the end, merged with the spans before it.
			const before = spans.filter(([start]) => start < unfinished);
			const last = before.at(-1);
			if (last !== undefined && last[1] >= unfinished) last[1] = text.length;
			else before.push([unfinished, text.length]);
			spans = before;
		}
		return this.#release(text, spans, this.#context.length, text.length);
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

const PRIVATE_KEY_HEADER = /^-----BEGIN [A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----/;
/** A header cut short: what follows `-----BEGIN ` so far could still name a private key. */
const PARTIAL_HEADER = /^-----BEGIN [A-Z ]{0,52}-{0,4}$/;

/** The most text held back for a private key whose END has not come. */
const MAX_HELD_KEY = 16 * 1024;

/**
 * A private key's whole END line. Only a whole one ends the key: a model's
 * tokens bring `-----END` and ` RSA` apart, and the key's body left in clear
 * when `-----END ` alone ended it (before 2026-11-26).
 */
const KEY_END_LINE = /-----END [A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
/** The longest END line {@link KEY_END_LINE} matches. */
const MAX_KEY_END_LINE = 9 + 40 + 22;

/** True if a private key's whole END line is in `text` from `from` on. */
function keyEndAfter(text: string, from: number): boolean {
	KEY_END_LINE.lastIndex = from;
	return KEY_END_LINE.test(text);
}

/** The shortest start of a configured secret redacted when a stream ends on it. */
const MIN_HELD_SECRET = 4;

/** How many released characters redaction looks back at. */
const RELEASED_CONTEXT = 64;
/** The longest secret kept whole across a forced release. */
const MAX_SECRET_CONTEXT = 64 * 1024;

/** The last whitespace in `text` before `before` (-1: none). */
function lastWhitespace(text: string, before = text.length): number {
	for (let index = Math.min(before, text.length) - 1; index >= 0; index--) {
		const code = text.charCodeAt(index);
		if (code === 32 || code === 10 || code === 9 || code === 13) return index;
	}
	return -1;
}
