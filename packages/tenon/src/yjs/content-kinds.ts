import { ActorError } from "../protocol/errors.js";

/**
 * Kinds of content a Yjs update can insert, by the shared types that make them:
 * `text` (a `Y.Text`'s characters), `format` (its formatting marks), `embed` (an
 * object in a `Y.Text`, `insertEmbed`), `any` (`Y.Map` and `Y.Array` values),
 * `json` (the same, from Yjs before 13), `binary` (a `Uint8Array` value), and
 * `type` (a shared type nested in another). Deletions are always allowed.
 */
export type YjsContent = "text" | "format" | "embed" | "any" | "json" | "binary" | "type";

/** Each kind's content ref in Yjs's update format (update-values.ts reads them). */
const CONTENT_REFS: Readonly<Record<YjsContent, number>> = {
	json: 2,
	binary: 3,
	text: 4,
	embed: 5,
	format: 6,
	type: 7,
	any: 8,
};

/** Deleted content (ref 1): what a deletion leaves, always allowed. */
const DELETED = 1 << 1;

/**
 * Not a Yjs content ref: a string of `text` holds a control character, C0 but tab and line feed,
 * or DEL (update-values.ts sets it). A carriage return put CodeMirror's binding, which counts
 * CR LF as one line break, out of step with the document for every reader: their edits landed
 * in the wrong place and remote ones were dropped (an attacker probe, 2026-11-29).
 */
export const TEXT_CONTROLS = 1 << 11;

/** The mask of every kind (the default: a document of any shape). */
export const ALL_CONTENT = 0x1ff | TEXT_CONTROLS;

/** Whether UTF-8 `bytes` hold a control character (see {@link TEXT_CONTROLS}). */
export function hasControlCharacter(bytes: Uint8Array): boolean {
	for (let i = 0; i < bytes.length; i++) {
		const byte = bytes[i] as number;
		if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a) || byte === 0x7f) return true;
	}
	return false;
}

/**
 * The mask of `allowed` content refs (undefined: all of them), and of text's control characters
 * unless `controlCharacters` is `"refuse"`. Throws a TypeError for an unknown kind.
 */
export function contentMask(
	allowed: readonly YjsContent[] | undefined,
	controlCharacters: "allow" | "refuse" = "allow",
): number {
	const controls = controlCharacters === "refuse" ? 0 : TEXT_CONTROLS;
	if (allowed === undefined) return (ALL_CONTENT & ~TEXT_CONTROLS) | controls;
	let mask = DELETED | controls;
	for (const kind of allowed) {
		const ref = CONTENT_REFS[kind];
		if (ref === undefined)
			throw new TypeError(`yjsActor: unknown allowedContent '${String(kind)}'`);
		mask |= 1 << ref;
	}
	return mask;
}

/**
 * Refuses an update whose items hold content outside `mask`
 * (`request/yjs_content_not_allowed`, nothing of it applied).
 */
export function checkContent(kinds: number, mask: number): void {
	const outside = kinds & ~mask;
	if (outside === 0) return;
	if (outside === TEXT_CONTROLS)
		throw new ActorError(
			"request",
			"yjs_content_not_allowed",
			"This document's text takes no control characters (but tab and line feed): the update holds one (a carriage return?)",
			{ refused: ["control characters"] },
		);
	const refused = (Object.keys(CONTENT_REFS) as YjsContent[]).filter(
		(kind) => (outside & (1 << CONTENT_REFS[kind])) !== 0,
	);
	const allowed = (Object.keys(CONTENT_REFS) as YjsContent[]).filter(
		(kind) => (mask & (1 << CONTENT_REFS[kind])) !== 0,
	);
	throw new ActorError(
		"request",
		"yjs_content_not_allowed",
		`This document takes only ${allowed.join(", ") || "deletions"}; the update holds ${refused.join(", ")}`,
		{ allowed, refused },
	);
}
