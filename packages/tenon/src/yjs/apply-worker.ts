/**
 * The verifier's worker thread (apply-verifier.ts), as source: it is started
 * with `eval`, so `tenon/yjs` needs no file of its own beside the bundle, and
 * loads Yjs from where the parent found it.
 *
 * It keeps mirrors: copies of the documents whose updates it checked, fed
 * with every update their actors apply after, so the next check of the same
 * document costs neither an encoding of it on the event loop nor a decoding
 * here (for a 10 MB document, 50 to 150 ms on the loop and about a second
 * here, each time). Mirrors are dropped least recently used first, so that
 * they hold at most half the worker's heap as measured when each copy was
 * made (a copy takes 8 to 20 times its encoding for text, up to 100 times for
 * nested maps), with room made for 20 times before a copy is made, and at
 * most `budgetBytes` of encoded state; a document over `keepBytes`, or whose
 * copy would take over a quarter of the heap, is copied for one check and not
 * kept (and the parent told so).
 *
 * Messages from the parent:
 * - `{ kind: "check", id, doc?, state?, update }`: applies `update` to the
 *   mirror of `doc`, or to a copy made from `state` (kept as `doc`'s mirror
 *   when `doc` is given); answers `applying` when the copy is ready, then
 *   `done` (timed) or `failed`, or `missing` when there is neither a mirror
 *   nor a state;
 * - `{ kind: "apply", doc, update, settle }`: an update the actor applied
 *   (`settle`: a client's, after which it dropped changes waiting for
 *   others); ignored for a document with no mirror here;
 * - `{ kind: "seed", doc, updates }`: a mirror made from the updates a
 *   document was loaded from (its snapshot and log), in order;
 * - `{ kind: "drop", doc }`: the mirror goes (the actor slept, or the
 *   parent refused an update the mirror took).
 * Answers carry `evicted`: mirrors dropped, which the parent forgets.
 *
 * Changes whose dependencies are missing are dropped after a client's update,
 * as the actor drops them (document.ts), and kept otherwise (the document
 * loaded, the app's own edits), so a mirror holds what the actor holds.
 */
export const APPLY_WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Y = require(workerData.yjs);
const v8 = require("node:v8");
const { budgetBytes, keepBytes } = workerData;
// Mirrors may hold half the heap: the other half is for the copy being made
// and for applying updates.
const heapBudget = v8.getHeapStatistics().heap_size_limit / 2;
// What a copy takes in memory depends on its shape: 6 to 11 times its
// encoding for text, 30 for map keys, 70 for nested maps (measured). Before a
// copy is made, room is made for 20 times; after, it is charged an estimate
// from what it holds (the heap's growth reads low when a collection runs
// meanwhile, and would let mirrors pile up past the heap).
const WORST_RATIO = 20;

/**
 * What structs take in memory, estimated (within about 25% of the heap
 * measured around a copy for text, typing, map keys, nested maps and split
 * items, 2026-11-25): a struct, its key, a nested type, a string's
 * characters, bytes, and JSON values walked (an object of empty objects takes
 * 33 times its encoding; counted by their slots it was read as nothing).
 */
function heapOfStructs(structs) {
	let heap = 0;
	for (const struct of structs) {
		const content = struct.content;
		if (content === undefined) {
			heap += 40;
			continue;
		}
		heap += 180;
		if (struct.parentSub !== null) heap += 250;
		if (content.type !== undefined) heap += 600;
		else if (typeof content.str === "string") heap += 2 * content.str.length;
		else if (content.content instanceof Uint8Array) heap += content.content.byteLength;
		else if (Array.isArray(content.arr)) heap += jsonHeap(content.arr);
		else if (content.embed !== undefined) heap += jsonHeap(content.embed);
		else if (content.value !== undefined) heap += jsonHeap(content.value) + 2 * (content.key?.length ?? 0);
	}
	return heap;
}
/** A JSON value's size in memory, estimated: 64 bytes an object, 40 an array, 16 a slot, strings by length. */
function jsonHeap(value) {
	let heap = 0;
	const stack = [value];
	while (stack.length > 0) {
		const item = stack.pop();
		heap += 16;
		if (typeof item === "string") heap += 2 * item.length;
		else if (Array.isArray(item)) {
			heap += 40;
			for (const inner of item) stack.push(inner);
		} else if (typeof item === "object" && item !== null) {
			heap += 64;
			for (const key in item) {
				heap += 2 * key.length;
				stack.push(item[key]);
			}
		}
	}
	return heap;
}
function heapOf(doc) {
	let heap = 0;
	for (const structs of doc.store.clients.values()) heap += heapOfStructs(structs);
	return heap;
}
const mirrors = new Map();
// Of the mirrors: encoded bytes (for budgetBytes), and heap bytes as estimated.
let keptBytes = 0;
let keptHeap = 0;

function settle(doc) {
	doc.store.pendingStructs = null;
	doc.store.pendingDs = null;
}
function drop(id, evicted) {
	const mirror = mirrors.get(id);
	if (mirror === undefined) return;
	mirrors.delete(id);
	keptBytes -= mirror.bytes;
	keptHeap -= mirror.heap;
	mirror.doc.destroy();
	evicted?.push(id);
}
/** Drops the least recently used mirrors (not "keep") until the kept ones and "more" fit. */
function makeRoom(keep, moreBytes, moreHeap, evicted) {
	for (const old of [...mirrors.keys()]) {
		if (keptBytes + moreBytes <= budgetBytes && keptHeap + moreHeap <= heapBudget) return;
		if (old !== keep) drop(old, evicted);
	}
}
/** A mirror took an update of "bytes": it grows by what the update's own structs take. */
function grow(id, mirror, update, evicted) {
	const bytes = update.byteLength;
	let heap;
	try {
		heap = heapOfStructs(Y.decodeUpdate(update).structs);
	} catch {
		heap = bytes * WORST_RATIO;
	}
	mirror.bytes += bytes;
	mirror.heap += heap;
	keptBytes += bytes;
	keptHeap += heap;
	if (mirror.bytes > keepBytes || mirror.heap > heapBudget / 2) return drop(id, evicted);
	makeRoom(id, 0, 0, evicted);
}

parentPort.postMessage({ id: 0, phase: "ready" });
parentPort.on("message", (message) => {
	const evicted = [];
	if (message.kind === "drop") return drop(message.doc);
	if (message.kind === "seed") {
		const { doc: docId, updates } = message;
		drop(docId);
		let bytes = 0;
		for (const update of updates) bytes += update.byteLength;
		// Only into room that is free: a seed (nobody may edit the document yet)
		// does not push out the mirrors of documents being edited.
		if (keptBytes + bytes > budgetBytes || keptHeap + bytes * WORST_RATIO > heapBudget) {
			parentPort.postMessage({ id: 0, phase: "seeded", evicted: [docId] });
			return;
		}
		const doc = new Y.Doc({ gc: true });
		try {
			// Changes waiting for others stay, as in the document loaded from the same bytes.
			Y.transact(doc, () => {
				for (const update of updates) Y.applyUpdate(doc, update);
			});
			const heap = heapOf(doc);
			if (keptHeap + heap > heapBudget) throw new Error("no room");
			// Least recently used: the first to go when a check needs room.
			const others = [...mirrors];
			mirrors.clear();
			mirrors.set(docId, { doc, bytes, heap });
			for (const [id, mirror] of others) mirrors.set(id, mirror);
			keptBytes += bytes;
			keptHeap += heap;
		} catch {
			doc.destroy();
			evicted.push(docId);
		}
		parentPort.postMessage({ id: 0, phase: "seeded", evicted });
		return;
	}
	if (message.kind === "apply") {
		const mirror = mirrors.get(message.doc);
		if (mirror === undefined) return;
		try {
			Y.applyUpdate(mirror.doc, message.update);
			// As the document did: after a client's update, changes waiting for others are dropped.
			if (message.settle) settle(mirror.doc);
			grow(message.doc, mirror, message.update, evicted);
		} catch {
			drop(message.doc, evicted);
		}
		if (evicted.length > 0) parentPort.postMessage({ id: 0, phase: "evicted", evicted });
		return;
	}
	const { id, doc: docId, state, update } = message;
	const started = performance.now();
	let doc;
	let mirror;
	try {
		if (state === undefined) {
			mirror = mirrors.get(docId);
			if (mirror === undefined) return parentPort.postMessage({ id, phase: "missing", evicted });
			// Least recently used first: a mirror used now goes to the end.
			mirrors.delete(docId);
			mirrors.set(docId, mirror);
			doc = mirror.doc;
		} else {
			if (docId !== undefined) drop(docId);
			makeRoom(undefined, state.byteLength, state.byteLength * WORST_RATIO, evicted);
			doc = new Y.Doc({ gc: true });
			if (state.byteLength > 0) Y.applyUpdate(doc, state);
			const heap = heapOf(doc);
			if (docId !== undefined && state.byteLength <= keepBytes && heap <= heapBudget / 2) {
				mirror = { doc, bytes: state.byteLength, heap };
				mirrors.set(docId, mirror);
				keptBytes += mirror.bytes;
				keptHeap += heap;
				makeRoom(docId, 0, 0, evicted);
			} else if (docId !== undefined) {
				// Not kept: the parent must not think it has a mirror.
				evicted.push(docId);
			}
		}
		parentPort.postMessage({ id, phase: "applying" });
		const applying = performance.now();
		Y.applyUpdate(doc, update);
		const done = performance.now();
		// Parts of it waiting for changes the copy lacks (see the parent's re-check).
		const pending = doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
		settle(doc);
		if (mirror !== undefined) grow(docId, mirror, update, evicted);
		else doc.destroy();
		parentPort.postMessage({ id, phase: "done", applyMs: done - applying, totalMs: done - started, pending, evicted });
	} catch (error) {
		// Half applied, or not made: not a copy of anything any more.
		if (docId !== undefined) drop(docId, evicted);
		else doc?.destroy();
		const totalMs = performance.now() - started;
		parentPort.postMessage({ id, phase: "failed", message: String(error && error.message || error), totalMs, evicted });
	}
});
`;
