// What spans show of names and paths a client chose (docs/observability.md): a
// registered or plain name, else `(unknown)`; a raw path, bounded.
import type { Attributes } from "@opentelemetry/api";
import { cutText } from "../common/text-cut.js";

/** What an unregistered actor or action name shows as. */
export const UNKNOWN_NAME = "(unknown)";

/** A path segment decoded, or as it is when it is no valid percent-encoding. */
export function decodedSegment(segment: string): string {
	try {
		return decodeURIComponent(segment);
	} catch {
		return segment;
	}
}

/** An action name shown in an actor-to-actor call's span (a group's are dotted). */
const PLAIN_ACTION_NAME = /^[\p{L}\p{N}_$.-]{1,128}$/u;

/** What the gateway path of a request names: `/action/{name}` gives the action. */
export function describeCall(request: Request): { name: string; attributes: Attributes } {
	const path = new URL(request.url).pathname;
	const action = /\/action\/([^/?]+)$/.exec(path)?.[1];
	if (action !== undefined) {
		// Actor code may pass on a name a client chose: any text, of any length, made a span
		// name of its own (a probe, 2026-11-27). Only a plain name is shown.
		const decoded = decodedSegment(action);
		const name = PLAIN_ACTION_NAME.test(decoded) ? decoded : UNKNOWN_NAME;
		return { name, attributes: { "tenon.action.name": name } };
	}
	// Bounded: a path a client chose reached every exporter whole (3,119 characters, its
	// segments with them: an SRE walkthrough, 2026-11-28). Keep secrets out of raw paths.
	return { name: request.method, attributes: { "url.path": cutText(path, MAX_URL_PATH) } };
}

/** Characters of a raw request's path a span keeps (`url.path`). */
export const MAX_URL_PATH = 128;
