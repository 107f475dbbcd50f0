// Checks of an awareness update before it touches the document's awareness:
// its size, and that a connection changes only the awareness clients it
// announced itself. Awareness is never stored, but it is held in memory and
// passed on to every connection: without these, one user's connections grew
// the server by gigabytes with large states under fresh client ids, and set
// or cleared other users' cursors and names (an attacker probe, 2026-11-24).
import * as decoding from "lib0/decoding";
import { type Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from "y-protocols/awareness";
import type { Doc } from "yjs";
import { ActorError, errors } from "../protocol/errors.js";
import { ClientClaims } from "./client-claims.js";
import { invalid } from "./parts.js";

/** Most awareness clients one connection may announce (a provider has one per document). */
export const MAX_AWARENESS_CLIENTS_PER_CONNECTION = 4;
/** Largest awareness state one client may have (its JSON, in UTF-8 bytes). */
export const MAX_AWARENESS_STATE_BYTES = 8 * 1024;

/**
 * How y-protocols (lib0) decodes a state: fatal on bad UTF-8, a byte-order mark kept. A
 * lenient decoder passed a state here that y-protocols then failed on, after it had applied
 * the states before it (a review, 2026-11-27).
 */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** What {@link awarenessClientsOf} reads of an awareness update. */
export interface AwarenessClients {
	readonly ids: number[];
	/** A state's cursor has positions with fields left out (see {@link withFullCursor}). */
	readonly partialCursors: boolean;
}

/**
 * The client ids an awareness update (y-protocols' encoding: a count, then
 * id, clock and JSON state each) names. Throws `request/invalid_yjs_message`
 * when it does not decode or a state is not JSON, `message/incoming_too_long`
 * for a state over {@link MAX_AWARENESS_STATE_BYTES}. Every state is parsed
 * here, before any is applied: y-protocols applies them one by one, and a
 * bad one after good ones left the good ones applied, claimed by no
 * connection, outside every limit (a review, 2026-11-26).
 */
export function awarenessClientsOf(update: Uint8Array): AwarenessClients {
	const ids: number[] = [];
	let partialCursors = false;
	try {
		const decoder = decoding.createDecoder(update);
		const count = decoding.readVarUint(decoder);
		// More than one connection may announce is refused before any is read.
		if (count > MAX_AWARENESS_CLIENTS_PER_CONNECTION) throw tooManyClients();
		for (let i = 0; i < count; i++) {
			ids.push(decoding.readVarUint(decoder));
			decoding.readVarUint(decoder);
			// Its bytes are counted before they are decoded: counted in characters, a state of
			// three-byte characters was let through at three times the size (a review, 2026-11-27).
			const state = decoding.readVarUint8Array(decoder);
			if (state.byteLength > MAX_AWARENESS_STATE_BYTES)
				throw errors.incomingTooLong("An awareness state", MAX_AWARENESS_STATE_BYTES);
			const parsed: unknown = JSON.parse(utf8.decode(state));
			checkUserColors(parsed);
			if (checkCursor(parsed)) partialCursors = true;
		}
	} catch (error) {
		if (error instanceof ActorError) throw error;
		throw new ActorError(
			"request",
			"invalid_yjs_message",
			"Invalid Yjs message: a malformed awareness update",
		);
	}
	return { ids, partialCursors };
}

/**
 * A CSS color as editors' awareness states carry it: `#hex`, a color function of numbers, or a
 * name. Nothing that could end the declaration (`;`) or load anything (`url(`).
 */
const CSS_COLOR =
	/^(?:#[0-9a-f]{3,8}|(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch)\([\d\s.,%/+-]*(?:deg|rad|turn|grad)?[\d\s.,%/+-]*\)|[a-z]{3,30})$/i;

/**
 * The editor bindings' convention, `user: { name, color, colorLight }`: y-codemirror and
 * y-prosemirror write `color` and `colorLight` into a style attribute on every reader's page,
 * so one that is not a color restyled it (a page-wide overlay, an image that tells its server
 * who reads; a review, 2026-11-27). Either is a CSS color string, or absent: any other value
 * is turned into text there too (an array of one string is that string).
 */
function checkUserColors(state: unknown): void {
	if (typeof state !== "object" || state === null) return;
	const user = (state as { user?: unknown }).user;
	if (typeof user !== "object" || user === null) return;
	for (const field of ["color", "colorLight"] as const) {
		const value = (user as Record<string, unknown>)[field];
		if (
			value !== undefined &&
			(typeof value !== "string" || value.length > 64 || !CSS_COLOR.test(value))
		)
			throw new ActorError(
				"request",
				"invalid_yjs_message",
				`Invalid Yjs message: an awareness state's user.${field} must be a CSS color (#hex, rgb(), hsl() or a name)`,
			);
	}
}

/**
 * The editor bindings' cursor, `cursor: { anchor, head }` (y-codemirror, y-prosemirror): each a
 * Yjs relative position as JSON, which every reader's binding resolves. One with no `item`,
 * `tname` or `type` to resolve crashed y-codemirror.next's cursor plugin, and every other
 * cursor disappeared from each reader's page until a reload (an attacker probe, 2026-11-29).
 * Fields may be absent (y-prosemirror leaves out nulls); present, they are of their types.
 * A `cursor` of another shape (`{ x, y }` on a canvas) is left alone.
 */
function checkCursor(state: unknown): boolean {
	if (typeof state !== "object" || state === null) return false;
	const cursor = (state as { cursor?: unknown }).cursor;
	if (typeof cursor !== "object" || cursor === null) return false;
	if (!("anchor" in cursor) && !("head" in cursor)) return false;
	const { anchor, head } = cursor as { anchor?: unknown; head?: unknown };
	if (isRelativePosition(anchor) && isRelativePosition(head))
		return isPartial(anchor) || isPartial(head);
	throw new ActorError(
		"request",
		"invalid_yjs_message",
		"Invalid Yjs message: an awareness state's cursor.anchor and cursor.head must be Yjs relative positions ({ type, tname, item, assoc })",
	);
}

/**
 * A relative position as JSON: `type` and `item` an id, `tname` a name, each absent or null
 * but one of them there; `assoc` an integer (or absent).
 */
function isRelativePosition(value: unknown): boolean {
	if (typeof value !== "object" || value === null) return false;
	const { type, tname, item, assoc } = value as Record<string, unknown>;
	return (
		(type == null || isId(type)) &&
		(item == null || isId(item)) &&
		(tname == null || (typeof tname === "string" && tname.length <= 256)) &&
		(type != null || item != null || tname != null) &&
		(assoc === undefined || Number.isSafeInteger(assoc))
	);
}

/**
 * The cursor of a state as a binding that reads its JSON as a relative position expects it:
 * absent fields null (y-codemirror.next reads `item` without converting the JSON: undefined
 * crashed its cursor plugin as above), `assoc` 0 when absent.
 */
function withFullCursor(state: { [key: string]: unknown }): { [key: string]: unknown } {
	const cursor = state.cursor as { anchor?: unknown; head?: unknown } | null | undefined;
	if (typeof cursor !== "object" || cursor === null || !("anchor" in cursor)) return state;
	const full = (position: unknown) => {
		const { type, tname, item, assoc } = position as Record<string, unknown>;
		return { type: type ?? null, tname: tname ?? null, item: item ?? null, assoc: assoc ?? 0 };
	};
	return { ...state, cursor: { ...cursor, anchor: full(cursor.anchor), head: full(cursor.head) } };
}

/** A position with a field left out (y-prosemirror leaves out nulls). */
function isPartial(position: unknown): boolean {
	const fields = position as Record<string, unknown>;
	return (
		fields.type === undefined ||
		fields.tname === undefined ||
		fields.item === undefined ||
		fields.assoc === undefined
	);
}

function isId(value: unknown): boolean {
	if (typeof value !== "object" || value === null) return false;
	const { client, clock } = value as Record<string, unknown>;
	return (
		Number.isSafeInteger(client) &&
		(client as number) >= 0 &&
		Number.isSafeInteger(clock) &&
		(clock as number) >= 0
	);
}

/** Who announced which awareness client: a connection may change only its own. */
export function awarenessOwners(): ClientClaims {
	return new ClientClaims(MAX_AWARENESS_CLIENTS_PER_CONNECTION, {
		// As for edits (update-writers.ts): the id is free again once its connection goes, and
		// a provider tries again then (its previous connection, after a reconnect or a new
		// provider on the same document; `auth/forbidden` before 2026-11-29, never retried).
		taken: (id) =>
			new ActorError(
				"auth",
				"yjs_client_in_use",
				`An awareness update may change only the clients its own connection announced: client ${id} is another connection's (a client that reconnects without resuming waits until its old connection is gone)`,
				{ client: id, retryAfterMs: 1_000 },
			),
		tooMany: tooManyClients,
	});
}

function tooManyClients(): ActorError {
	return new ActorError(
		"limit",
		"too_many_awareness_clients",
		`A connection may announce at most ${MAX_AWARENESS_CLIENTS_PER_CONNECTION} awareness clients`,
	);
}

/**
 * Writes `user`'s fields into the `user` of the states of `ids` (yjsActor's `awarenessUser`:
 * the server's word on who a cursor is, over the client's), with their cursors' positions in
 * full ({@link withFullCursor}), and returns those states encoded, to pass on.
 */
export function stampAwarenessUser(
	awareness: Awareness,
	ids: readonly number[],
	user: Record<string, unknown> | undefined,
): Uint8Array {
	// Only the clients y-protocols knows (an entry it did not apply, a new id at clock 0, has
	// no clock to encode: encoding it threw), each once.
	const known = [...new Set(ids)].filter((id) => awareness.meta.has(id));
	for (const id of known) {
		const state = awareness.states.get(id);
		if (state === undefined) continue;
		const said = typeof state.user === "object" && state.user !== null ? state.user : {};
		awareness.states.set(
			id,
			withFullCursor(user === undefined ? state : { ...state, user: { ...said, ...user } }),
		);
	}
	return encodeAwarenessUpdate(awareness, known);
}

/**
 * Throws `auth/forbidden` when a connection that may not edit announces an
 * awareness client that wrote to `doc`: holding that id (stored with the
 * document, so across restarts too) locked its writer's edits out, and a
 * viewer could read every writer's id from the document (an attacker probe,
 * 2026-11-28). A reader's own client has written nothing.
 */
export function refuseWritersOfReader(doc: Doc, ids: readonly number[]): void {
	for (const id of ids)
		if (doc.store.clients.has(id))
			throw new ActorError(
				"auth",
				"forbidden",
				`A connection that may not edit cannot announce client ${id}, which wrote to the document`,
			);
}

/**
 * Applies an awareness update (checked by {@link awarenessClientsOf}) from
 * connection `origin`; true if it changed anyone's state. Throws
 * `request/invalid_yjs_message` when y-protocols cannot apply it.
 */
export function applyAwareness(awareness: Awareness, update: Uint8Array, origin: string): boolean {
	let changed = false;
	const listener = () => {
		changed = true;
	};
	awareness.on("update", listener);
	try {
		applyAwarenessUpdate(awareness, update, origin);
	} catch {
		throw invalid("a malformed awareness update");
	} finally {
		awareness.off("update", listener);
	}
	return changed;
}
