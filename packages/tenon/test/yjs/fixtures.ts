import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { expect } from "vitest";
import { Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { yjsActor } from "../../src/yjs/index.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";

/** A shared note: anyone connected may read it; only non-guests may edit it. */
export const note = yjsActor({
	createConnState: (_c, params: { user: string }) => ({ user: params?.user ?? "guest" }),
	canEdit: (c) => c.conn.state.user !== "guest",
	compactEvery: 50,
	actions: {
		text: (c) => c.vars.document.text(),
		/** The stored keys of the document (snapshot chunks and logged updates). */
		storedKeys: async (c) =>
			(await c.kv.list("yjs/", { keyType: "text", type: "binary" })).map(([key]) => key),
	},
	options: { sleepTimeout: 1_000 },
});

export const yjsRegistry = setup({ use: { note } });

/** A y-protocols update message carrying `update`. */
export function updateMessage(update: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	syncProtocol.writeUpdate(encoder, update);
	return encoding.toUint8Array(encoder);
}

/** An update message of a new document whose "text" is `text`. */
export function textUpdateMessage(text: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getText("text").insert(0, text);
	return updateMessage(Y.encodeStateAsUpdate(doc));
}

/** `bytes` characters of text that does not compress into a small update (the same for a seed). */
export function noiseText(bytes: number, seed = 1): string {
	let x = seed;
	let out = "";
	while (out.length < bytes) {
		x = (x * 1103515245 + 12345) % 2147483648;
		out += x.toString(36);
	}
	return out.slice(0, bytes);
}

/**
 * Changes of 15 new clients (ids from `seed`) each typing `perClient`
 * characters at the start of the same text: costly to merge, more so the
 * more such changes the document holds.
 */
export function conflictingInserts(perClient: number, seed: number): Uint8Array {
	return Y.mergeUpdates(
		Array.from({ length: 15 }, (_, i) => {
			const doc = new Y.Doc();
			doc.clientID = seed * 100 + i;
			const text = doc.getText("text");
			for (let k = 0; k < perClient; k++) text.insert(0, "x");
			return Y.encodeStateAsUpdate(doc);
		}),
	);
}

/** A copy of `doc` as client `clientID` (which edits it offline from here). */
export function replica(doc: Y.Doc, clientID: number): Y.Doc {
	const copy = new Y.Doc();
	copy.clientID = clientID;
	Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
	return copy;
}

/**
 * Sends `message` as a provider would: waits out `limit/yjs_busy` (the
 * process's share, shared by every test in the file) and sends it again.
 */
export async function syncDecided(
	handle: { yjsSync(message: Uint8Array): Promise<Uint8Array[]> },
	message: Uint8Array,
): Promise<Uint8Array[]> {
	for (;;) {
		try {
			return await handle.yjsSync(message);
		} catch (error) {
			const { code, metadata } = error as { code?: string; metadata?: { retryAfterMs?: number } };
			if (code !== "yjs_busy") throw error;
			await new Promise((resolve) => setTimeout(resolve, metadata?.retryAfterMs ?? 100));
		}
	}
}

/**
 * Sends `message` (an update that is slow in Yjs) and expects it refused as
 * `limit/yjs_update_too_complex` with the event loop blocked under 400 ms,
 * and the document unchanged.
 */
export async function expectRefusedUnblocked(
	handle: {
		yjsSync(message: Uint8Array): Promise<Uint8Array[]>;
		stateVector(): Promise<Uint8Array>;
	},
	message: Uint8Array,
): Promise<void> {
	const before = await handle.stateVector();
	const worst = await worstStallDuring(() =>
		expect(syncDecided(handle, message)).rejects.toMatchObject({
			group: "limit",
			code: "yjs_update_too_complex",
		}),
	);
	expect(worst).toBeLessThan(400);
	expect(await handle.stateVector()).toEqual(before);
}

/** An update inserting `text` at the start of "text", made as client `client` after `base`. */
export function forgedInsert(base: Uint8Array, client: number, text: string): Uint8Array {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, base);
	doc.clientID = client;
	const before = Y.encodeStateVector(doc);
	doc.getText("text").insert(0, text);
	return Y.encodeStateAsUpdate(doc, before);
}

/** The document as the actor has it (an HTTP step 1 from an empty state vector). */
export async function stateOf(handle: {
	yjsSync(message: Uint8Array): Promise<Uint8Array[]>;
}): Promise<Uint8Array> {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, 0); // step 1
	encoding.writeVarUint8Array(encoder, Y.encodeStateVector(new Y.Doc()));
	const [step2] = await handle.yjsSync(encoding.toUint8Array(encoder));
	const decoder = decoding.createDecoder(step2 as Uint8Array);
	decoding.readVarUint(decoder); // step 2
	return decoding.readVarUint8Array(decoder);
}

/** An awareness update: `entries` as [client, clock, raw JSON string, or its exact bytes]. */
export function rawAwareness(entries: [number, number, string | Uint8Array][]): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, entries.length);
	for (const [client, clock, json] of entries) {
		encoding.writeVarUint(encoder, client);
		encoding.writeVarUint(encoder, clock);
		if (typeof json === "string") encoding.writeVarString(encoder, json);
		else encoding.writeVarUint8Array(encoder, json);
	}
	return encoding.toUint8Array(encoder);
}

/** An awareness update of `clientID` with `state`, as a provider's document would send it. */
export function awarenessOf(clientID: number, state: unknown, clock = 1): Uint8Array {
	const doc = new Y.Doc();
	doc.clientID = clientID;
	const awareness = new Awareness(doc);
	for (let i = 1; i < clock; i++) awareness.setLocalState({ bump: i });
	awareness.setLocalState(state as Record<string, unknown> | null);
	const update = encodeAwarenessUpdate(awareness, [clientID]);
	awareness.destroy();
	return update;
}
