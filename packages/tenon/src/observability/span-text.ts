import { escapeControl } from "../common/log-format.js";
import { cutText } from "../common/text-cut.js";

/** Longest error message (status and exception event) and stack a span carries. */
export const MAX_MESSAGE = 1_024;
export const MAX_STACK = 8_192;

/**
 * An error's text as a span carries it: cut to `max` (then `…`) and with control characters
 * escaped. A client's bytes can be in it: an unknown action or actor name is quoted in its
 * error, and a 15 KB name, or one with a newline and terminal escapes, went to every exporter
 * in the status and again in the exception event (an attacker probe, 2026-11-27).
 */
export function spanText(text: string, max: number): string {
	const safe = escapeControl(text.length > max ? text.slice(0, max) : text);
	return text.length > max || safe.length > max ? `${cutText(safe, max)}…` : cutText(safe);
}
