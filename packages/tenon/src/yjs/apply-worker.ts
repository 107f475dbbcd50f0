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
 * the mirrors kept and the copy being made stay within `budgetBytes` of
 * encoded state (a copy takes 8 to 20 times its encoding in memory), and a
 * document over `keepBytes` is copied for one check and not kept.
 *
 * Messages from the parent:
 * - `{ kind: "check", id, doc?, state?, update }`: applies `update` to the
 *   mirror of `doc`, or to a copy made from `state` (kept as `doc`'s mirror
 *   when `doc` is given); answers `applying` when the copy is ready, then
 *   `done` (timed) or `failed`, or `missing` when there is neither a mirror
 *   nor a state;
 * - `{ kind: "apply", doc, update }`: an update the actor applied; ignored
 *   for a document with no mirror here;
 * - `{ kind: "drop", doc }`: the mirror goes (the actor slept, or the
 *   parent refused an update the mirror took).
 * Answers carry `evicted`: mirrors dropped, which the parent forgets.
 *
 * Changes whose dependencies are missing are dropped after every apply, as
 * the actor drops them (document.ts), so a mirror holds what the actor holds.
 */
export const APPLY_WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Y = require(workerData.yjs);
const { budgetBytes, keepBytes } = workerData;
const mirrors = new Map();
let kept = 0;

function settle(doc) {
	doc.store.pendingStructs = null;
	doc.store.pendingDs = null;
}
function drop(id, evicted) {
	const mirror = mirrors.get(id);
	if (mirror === undefined) return;
	mirrors.delete(id);
	kept -= mirror.bytes;
	mirror.doc.destroy();
	evicted?.push(id);
}
function grow(id, mirror, bytes, evicted) {
	mirror.bytes += bytes;
	kept += bytes;
	if (mirror.bytes > keepBytes) return drop(id, evicted);
	for (const old of mirrors.keys()) {
		if (kept <= budgetBytes) break;
		if (old !== id) drop(old, evicted);
	}
}

parentPort.postMessage({ id: 0, phase: "ready" });
parentPort.on("message", (message) => {
	const evicted = [];
	if (message.kind === "drop") return drop(message.doc);
	if (message.kind === "apply") {
		const mirror = mirrors.get(message.doc);
		if (mirror === undefined) return;
		try {
			Y.applyUpdate(mirror.doc, message.update);
			settle(mirror.doc);
			grow(message.doc, mirror, message.update.byteLength, evicted);
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
			for (const old of mirrors.keys()) {
				if (kept + state.byteLength <= budgetBytes) break;
				drop(old, evicted);
			}
			doc = new Y.Doc({ gc: true });
			if (state.byteLength > 0) Y.applyUpdate(doc, state);
			if (docId !== undefined && state.byteLength <= keepBytes) {
				mirror = { doc, bytes: state.byteLength };
				mirrors.set(docId, mirror);
				kept += mirror.bytes;
			}
		}
		parentPort.postMessage({ id, phase: "applying" });
		const applying = performance.now();
		Y.applyUpdate(doc, update);
		const done = performance.now();
		settle(doc);
		if (mirror !== undefined) grow(docId, mirror, update.byteLength, evicted);
		else doc.destroy();
		parentPort.postMessage({ id, phase: "done", applyMs: done - applying, totalMs: done - started, evicted });
	} catch (error) {
		// Half applied, or not made: not a copy of anything any more.
		if (docId !== undefined) drop(docId, evicted);
		else doc?.destroy();
		parentPort.postMessage({ id, phase: "failed", message: String(error && error.message || error), evicted });
	}
});
`;
