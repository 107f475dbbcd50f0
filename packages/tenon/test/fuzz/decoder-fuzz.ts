// Fuzzes the decoders in-process: whatever the bytes, a decode either gives
// plain data or throws a documented `request/*` error; it never throws
// anything else, never takes long, and never touches a built-in prototype.
import fc from "fast-check";
import {
	decodeUntrusted,
	decodeUntrustedInput,
	type Encoding,
} from "../../src/protocol/encoding.js";
import { ActorError } from "../../src/protocol/errors.js";
import { decodeRequestBody } from "../../src/protocol/http-bodies.js";
import { decodeToServer } from "../../src/protocol/messages.js";
import { findNotPlain, fullWalk } from "../../src/protocol/plain-data.js";
import { cborBytes, frame, jsonText } from "./arbitraries.js";
import { bareMessage } from "./bare-arbitraries.js";
import { FuzzStats, pollutionBetween, prototypeSnapshot } from "./oracle.js";

const DECODE_CODES = new Set([
	"request/malformed",
	"request/unsupported_version",
	"request/invalid_value",
	"request/invalid_input",
]);
/** A decode slower than this is a hang (the largest inputs decode in a few ms; a machine this noisy can stall one for a while, not for this long). */
const SLOW_MS = 250;

function check(stats: FuzzStats, what: string, input: unknown, run: () => unknown): void {
	stats.inputs++;
	const started = performance.now();
	try {
		const value = run();
		if (what !== "message") {
			// The walk, not findNotPlain: the server relies on decoders returning
			// trees (no shared parts), and this is where that is checked.
			const found = fullWalk(value, "value", "client");
			if (found)
				stats.finding(
					"crash",
					`${what} returned non-plain data at ${found.path}: ${describe(input)}`,
				);
		}
		stats.count(`${what}:ok`);
	} catch (error) {
		if (error instanceof ActorError && DECODE_CODES.has(`${error.group}/${error.code}`)) {
			stats.count(`${what}:${error.code}`);
		} else if (error instanceof ActorError) {
			stats.finding("unstable", `${what} threw ${error.group}/${error.code}: ${describe(input)}`);
		} else {
			stats.finding("crash", `${what} threw ${String(error)}: ${describe(input)}`);
		}
	}
	const took = performance.now() - started;
	if (took > SLOW_MS)
		stats.finding("hang", `${what} took ${Math.round(took)} ms: ${describe(input)}`);
}

function describe(input: unknown): string {
	if (typeof input === "string") return JSON.stringify(input.slice(0, 200));
	if (input instanceof Uint8Array) return Buffer.from(input.slice(0, 100)).toString("hex");
	return String(input);
}

/** Decodes a connection frame; plain args are part of what a decode must guarantee. */
function decodeFrame(encoding: Encoding, data: string | Uint8Array) {
	const decoded = decodeToServer(encoding, data, 256);
	if (decoded.ok && decoded.message.tag === "ActionRequest") {
		const found = findNotPlain(decoded.message.args, "args");
		if (found) throw new Error(`non-plain args passed the decoder at ${found.path}`);
	}
	return decoded;
}

/** Runs `count` inputs (split over JSON, CBOR, creation input, connection frames and BARE messages). */
export function fuzzDecoders(count: number, seed: number): FuzzStats {
	const stats = new FuzzStats();
	const before = prototypeSnapshot();
	const batch = 2_000;
	let round = 0;
	while (stats.inputs < count) {
		const n = Math.min(batch, count - stats.inputs);
		const part = Math.max(1, Math.floor(n / 5));
		const bareFrames = Math.floor(part / 2);
		const bareActions = Math.floor(part / 4);
		const bareQueues = part - bareFrames - bareActions;
		const runSeed = seed + round++;
		for (const text of fc.sample(jsonText, { seed: runSeed, numRuns: part }))
			check(stats, "json", text, () => decodeUntrusted("json", text));
		for (const bytes of fc.sample(cborBytes, { seed: runSeed, numRuns: part })) {
			check(stats, "cbor", bytes, () => decodeUntrusted("cbor", bytes));
		}
		for (const bytes of fc.sample(cborBytes, { seed: runSeed + 1e6, numRuns: part }))
			check(stats, "input", bytes, () => decodeUntrustedInput(bytes));
		for (const { data, encoding } of fc.sample(frame, {
			seed: runSeed,
			numRuns: n - 4 * part,
		})) {
			check(stats, "message", data, () => decodeFrame(encoding, data));
		}
		// BARE (RivetKit's default): connection frames and HTTP bodies.
		for (const bytes of fc.sample(bareMessage("frame"), {
			seed: runSeed,
			numRuns: bareFrames,
		}))
			check(stats, "message", bytes, () => decodeFrame("bare", bytes));
		for (const bytes of fc.sample(bareMessage("action"), {
			seed: runSeed,
			numRuns: bareActions,
		}))
			check(stats, "bare-action", bytes, () => decodeRequestBody("bare", "action", bytes));
		for (const bytes of fc.sample(bareMessage("queue"), {
			seed: runSeed,
			numRuns: bareQueues,
		}))
			check(stats, "bare-queue", bytes, () => decodeRequestBody("bare", "queue", bytes));
		const polluted = pollutionBetween(before, prototypeSnapshot());
		if (polluted !== undefined) {
			stats.finding("pollution", polluted);
			break;
		}
	}
	return stats;
}
