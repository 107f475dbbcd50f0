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
		this.#secrets = (options.secrets ?? [])
			.filter((secret): secret is string => typeof secret === "string" && secret.length >= 4)
			.sort((a, b) => b.length - a.length);
		this.#patterns = (options.patterns ?? []).map(
			(pattern) =>
				new RegExp(
					pattern.source,
					pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`,
				),
		);
	}

	redact(text: string): string {
		let out = text;
		for (const secret of this.#secrets) out = out.split(secret).join("[redacted]");
		for (const pattern of this.#patterns) out = out.replace(pattern, "[redacted]");
		return out;
	}
}

/** Patterns of common credentials (API keys, bearer tokens, private keys). */
export const COMMON_SECRET_PATTERNS: readonly RegExp[] = [
	/\bsk-[A-Za-z0-9_-]{16,}\b/,
	/\b(?:ghp|gho|ghu|ghs|github_pat)_[A-Za-z0-9_]{20,}\b/,
	/\bAKIA[0-9A-Z]{16}\b/,
	/\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/,
	/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/,
];

/**
 * Redacts a stream of text (a model's answer, token by token) as it goes, so
 * that a secret is never released in part: text leaves word by word (up to
 * the last whitespace), only once redacting more of the stream would not
 * change it, and redaction sees the last released characters too (a
 * `Bearer` released earlier still catches its token). A secret that began in
 * text already released turns the words that continue it into `[redacted]`.
 * A run without whitespace leaves in pieces of `holdback` characters, so a
 * secret longer than that with no space in it (a private key on one line) is
 * only caught whole by the final redaction of the stored message.
 */
export class StreamRedactor {
	readonly #redactor: Redactor;
	readonly #holdback: number;
	/** The end of what was released, for matches that start there. */
	#released = "";
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
		const head = this.#redactor.redact(this.#released + this.#pending.slice(0, cut));
		const stable = this.#redactor.redact(this.#released + this.#pending).startsWith(head);
		// A secret crossing the cut redacts differently as a whole: wait for more
		// of it (up to a bound, then the head goes as it is redacted alone).
		if (!stable && this.#pending.length <= 4 * this.#holdback) return "";
		return this.#release(head, cut);
	}

	/** The end of the stream: the rest, redacted. */
	end(): string {
		if (this.#pending === "") return "";
		return this.#release(
			this.#redactor.redact(this.#released + this.#pending),
			this.#pending.length,
		);
	}

	#release(redacted: string, cut: number): string {
		const out = redacted.startsWith(this.#released)
			? redacted.slice(this.#released.length)
			: "[redacted]";
		this.#pending = this.#pending.slice(cut);
		this.#released = (this.#released + out).slice(-RELEASED_CONTEXT);
		return out;
	}
}

/** How many released characters redaction looks back at. */
const RELEASED_CONTEXT = 64;

function lastWhitespace(text: string): number {
	for (let index = text.length - 1; index >= 0; index--) {
		const code = text.charCodeAt(index);
		if (code === 32 || code === 10 || code === 9 || code === 13) return index;
	}
	return -1;
}
