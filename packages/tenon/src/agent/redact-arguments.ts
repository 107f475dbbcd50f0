import type { Redactor } from "./redact.js";
import { jsonString } from "./render-json.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * A tool call's arguments (the model's text) as the transcript and the
 * journal keep them, redacted token by token.
 *
 * When the text is JSON, each string (a key or a value) and each number is
 * redacted on its own, as the model wrote it and decoded (a secret written
 * with JSON escapes, `"\u0073k-..."`); the rest of the text is kept as it
 * is. Not the whole text at once: a pattern matching from one string into
 * another (a private key's BEGIN in the first field, its END in the last)
 * hid the fields between from whoever reads the transcript, before
 * 2026-11-25. Not the parsed value written out again either: JSON keeps the
 * last of a key given twice, so in `{"q":"\u0074enon-secret","q":"x"}` the
 * first `q`, with its secret, would be neither seen by a check of the parsed
 * value nor shown; walking the text's tokens redacts and shows both.
 *
 * When the text is not JSON, it is redacted as text: a match may then span
 * what would be tokens, which is acceptable as such a call is refused (its
 * arguments are not JSON) and runs nothing. If the text, its escapes
 * decoded, still shows a secret, it is `[redacted]` as a whole.
 */
export function redactArguments(rawArguments: string, redactor: Redactor): string {
	try {
		JSON.parse(rawArguments);
	} catch {
		const redacted = redactor.redact(rawArguments);
		// A secret written with escapes (`\u0074enon-…`) does not read as one in
		// the text: when decoding the escapes shows one, nothing of it is kept.
		return redactor.spans(decodeEscapes(redacted)).length === 0 ? redacted : "[redacted]";
	}
	return redactTokens(rawArguments, redactor);
}

const ESCAPE = /\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g;
const SIMPLE_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** `text` with its JSON escapes decoded, wherever they are (it need not be JSON). */
function decodeEscapes(text: string): string {
	return text.replace(ESCAPE, (_escape, code: string | undefined, char: string) =>
		code !== undefined
			? String.fromCharCode(Number.parseInt(code, 16))
			: (SIMPLE_ESCAPES[char] ?? char),
	);
}

/** `json` (valid JSON text) with each string and number token redacted on its own. */
function redactTokens(json: string, redactor: Redactor): string {
	const parts: string[] = [];
	let copied = 0;
	let at = 0;
	while (at < json.length) {
		const code = json.charCodeAt(at);
		let end: number;
		let shown: string | undefined;
		if (code === QUOTE) {
			end = stringEnd(json, at);
			shown = redactString(json.slice(at, end), redactor);
		} else if (isScalar(code)) {
			end = at + 1;
			while (end < json.length && isScalar(json.charCodeAt(end))) end++;
			shown = redactScalar(json.slice(at, end), redactor);
		} else {
			// Whitespace and punctuation.
			at++;
			continue;
		}
		if (shown !== undefined) {
			parts.push(json.slice(copied, at), shown);
			copied = end;
		}
		at = end;
	}
	parts.push(json.slice(copied));
	return parts.join("");
}

/** Where the string token starting at `start` (its opening quote) ends, past its closing quote. */
function stringEnd(json: string, start: number): number {
	let at = start + 1;
	for (;;) {
		const code = json.charCodeAt(at);
		if (code === QUOTE) return at + 1;
		at += code === BACKSLASH ? 2 : 1;
	}
}

/** A character of a number, `true`, `false` or `null`. */
function isScalar(code: number): boolean {
	return (
		(code >= 0x30 && code <= 0x39) || // 0-9
		(code >= 0x61 && code <= 0x7a) || // a-z
		code === 0x45 || // E
		code === 0x2b || // +
		code === 0x2d || // -
		code === 0x2e // .
	);
}

/** A string token redacted (as written and decoded), or undefined when it holds no secret. */
function redactString(token: string, redactor: Redactor): string | undefined {
	const decoded = token.includes("\\") ? (JSON.parse(token) as string) : token.slice(1, -1);
	if (redactor.spans(token).length === 0 && redactor.spans(decoded).length === 0) return undefined;
	return jsonString(redactor.redact(decoded), redactor);
}

/** A number (or literal) token as `"[redacted]"` if it reads as a secret, written or as a number. */
function redactScalar(token: string, redactor: Redactor): string | undefined {
	const number = Number(token);
	if (
		redactor.spans(token).length === 0 &&
		(Number.isNaN(number) || redactor.spans(String(number)).length === 0)
	)
		return undefined;
	return '"[redacted]"';
}
