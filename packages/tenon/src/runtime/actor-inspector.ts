// What the inspector web app asks of the runtime beyond the read-only views:
// listing actors with their status, committed state, the KV area, the turn
// history, timers and jobs, the event log, and replacing the state or
// cancelling a timer as an audited turn. Reached by the server
// through `ActorGateway.inspector`.

import type { RunRewind } from "../actor/run-host.js";
import type { CronJob, CronRun } from "../actor/schedule.js";
import { previewValue } from "../common/value-preview.js";
import { ActorError, errors } from "../protocol/errors.js";
import { AREA } from "../storage/actor-keys.js";
import { prefixEnd } from "../storage/bytes.js";
import type { ActorRecord } from "../storage/interfaces.js";
import type { SentEvent } from "./event-taps.js";
import type { Runtime } from "./runtime.js";
import { readSchedules } from "./schedule-records.js";
import { loadState } from "./state-loader.js";
import {
	readTurn,
	readTurnSummaries,
	type TurnOrigin,
	type TurnRecord,
	type TurnSummary,
} from "./turn-history.js";

export type { SentEvent } from "./event-taps.js";
export type { TurnOrigin, TurnRecord } from "./turn-history.js";

/** An actor's timers and jobs as the inspector shows them (`args` are bounded previews). */
export interface ScheduleView {
	/** The server's clock when read, so the app shows times relative to it. */
	readonly now: number;
	readonly timers: readonly {
		readonly id: string;
		readonly at: number;
		readonly action: string;
		readonly args: unknown;
		readonly createdAt: number;
	}[];
	readonly jobs: readonly (Omit<CronJob, "args"> & {
		readonly args: unknown;
		/** The newest runs (at most 5). */
		readonly lastRuns: readonly CronRun[];
	})[];
}

/** One actor as the inspector lists it. */
export interface ActorSummary {
	readonly actorId: string;
	readonly name: string;
	readonly key: readonly string[];
	readonly createdAt: number;
	readonly status: "awake" | "sleeping";
	/** Sockets this node holds open for the actor while it sleeps. */
	readonly hibernatedConnections: number;
	/** Sockets this node holds for the actor (attached or hibernating). */
	readonly connections: number;
}

/** A KV entry: the key as text when it is UTF-8, else hex; the value likewise. */
export interface KvEntry {
	readonly key: string;
	readonly keyEncoding: "utf8" | "hex";
	readonly value: string;
	readonly valueEncoding: "utf8" | "hex";
	readonly size: number;
	/** Present when `value` shows only the first {@link KV_VALUE_PREVIEW_BYTES} bytes. */
	readonly truncated?: true;
}

/**
 * Bytes of a value the KV view shows (`truncated` past it; `size` is the
 * whole): a page of 1,000 values of 128 KiB came back as 256 MB of JSON
 * in hex, from one request of the read-only token (an audit, 2026-11-27).
 */
export const KV_VALUE_PREVIEW_BYTES = 4096;

/**
 * Most bytes of stored state the inspector decodes for one view (`GET .../state`, a state
 * stream's line): a `GET` of a 200 MB state was decoded and sent whole, 2.7 to 3 s of the
 * loop each, and eight loops of the read-only token slowed every other client to 1.3 s (an
 * attacker probe, 2026-11-28).
 */
export const INSPECTOR_MAX_STATE_BYTES = 16 * 1024 * 1024;

/**
 * Most bytes of stored values one KV page reads (`partial` past it, with the entries read so
 * far): every value of a page was read whole for its 4 KiB preview, up to 1,000 values of
 * 128 KiB per request (the same probe).
 */
export const KV_PAGE_MAX_BYTES = 16 * 1024 * 1024;
/** Entries read from the store at a time for a KV page (each batch checked against the bound). */
const KV_BATCH = 32;

/** A KV entry as the inspector shows it: key and value as text or hex, values previewed. */
function kvEntry(key: Uint8Array, value: Uint8Array): KvEntry {
	const k = asText(key.subarray(1));
	const shown = preview(value, KV_VALUE_PREVIEW_BYTES);
	const v = asText(shown);
	return {
		key: k.text,
		keyEncoding: k.encoding,
		value: v.text,
		valueEncoding: v.encoding,
		size: value.byteLength,
		...(shown.byteLength < value.byteLength ? { truncated: true as const } : {}),
	};
}

/** The smallest key after `key` (the range after it starts there). */
function keyAfter(key: Uint8Array): Uint8Array {
	const next = new Uint8Array(key.byteLength + 1);
	next.set(key);
	return next;
}

/** The first `max` bytes of `bytes`, not cutting a UTF-8 character in two. */
function preview(bytes: Uint8Array, max: number): Uint8Array {
	if (bytes.byteLength <= max) return bytes;
	let end = max;
	while (end > max - 3 && (bytes[end]! & 0xc0) === 0x80) end--;
	return bytes.subarray(0, end);
}

/** Who made an inspector change, for the audit log and the turn history. */
export interface InspectorAudit {
	/** The credential's role and the caller's address, e.g. `admin@127.0.0.1`. */
	readonly who: string;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function asText(bytes: Uint8Array): { text: string; encoding: "utf8" | "hex" } {
	try {
		const text = strictUtf8.decode(bytes);
		// Control characters other than tabs and newlines read badly: show those as hex.
		// biome-ignore lint/suspicious/noControlCharactersInRegex: that is what it looks for
		if (!/[\u0000-\u0008\u000e-\u001f]/.test(text)) return { text, encoding: "utf8" };
	} catch {
		// Not UTF-8.
	}
	return { text: Buffer.from(bytes).toString("hex"), encoding: "hex" };
}

/** The inspector's operations on the runtime. */
export class ActorInspector {
	readonly #runtime: Runtime;

	constructor(runtime: Runtime) {
		this.#runtime = runtime;
	}

	/** Live actors of `names` (each listed by id, up to `limit` per name), with their status. */
	async list(namespace: string, names: readonly string[], limit: number): Promise<ActorSummary[]> {
		const host = this.#runtime.host;
		const summaries: ActorSummary[] = [];
		for (const name of names) {
			const records = await host.listActors(namespace, name, limit);
			for (const record of records) summaries.push(this.summary(record));
		}
		return summaries;
	}

	/** One actor's summary. */
	summary(record: ActorRecord): ActorSummary {
		const host = this.#runtime.host;
		const sockets = [
			...host.sockets.socketsOf(record.actorId),
			...host.sockets.rawSocketsOf(record.actorId),
		];
		return {
			actorId: record.actorId,
			name: record.name,
			key: record.key,
			createdAt: record.createdAt,
			status: host.awakeInstance(record.actorId) !== undefined ? "awake" : "sleeping",
			hibernatedConnections: sockets.filter((socket) => !socket.attached).length,
			connections: sockets.length,
		};
	}

	/**
	 * The actor's committed state (it need not be awake); `inspector/state_too_large` past
	 * {@link INSPECTOR_MAX_STATE_BYTES} stored.
	 */
	async state(actorId: string): Promise<{ initialized: boolean; state: unknown }> {
		await this.#runtime.host.getLiveRecord(actorId);
		const loaded = await loadState(this.#runtime.storage.store, actorId, (storedBytes) => {
			if (storedBytes > INSPECTOR_MAX_STATE_BYTES)
				throw new ActorError(
					"inspector",
					"state_too_large",
					`The state takes ${storedBytes} bytes stored, more than the inspector shows (${INSPECTOR_MAX_STATE_BYTES}); read parts of it with an action`,
					{ size: storedBytes, limit: INSPECTOR_MAX_STATE_BYTES },
				);
		});
		return loaded.initialized
			? { initialized: true, state: loaded.state }
			: { initialized: false, state: null };
	}

	/**
	 * Calls `onCommit` after each durable commit of the actor (while it is
	 * awake on this node); returns the unsubscribe.
	 */
	watchCommits(actorId: string, onCommit: () => void): () => void {
		return this.#runtime.commits.watch(actorId, onCommit);
	}

	/** Replaces the state as a turn of its own (waking the actor), logged with who did it. */
	async editState(actorId: string, next: unknown, audit: InspectorAudit): Promise<void> {
		// The actor's code expects the kind of state it keeps (an object, most
		// often): an edit may change its values, not turn it into another kind.
		// Checked against the awake actor's state: an actor created and never
		// called has no stored state yet, and an edit of it to `null` made every
		// call fail (a probe), then refused the repair.
		const keepKind = (current: unknown) => {
			// The editor holds the JSON view of the state, which turns a Map into an object and
			// a Date into a string: an edit saved unchanged broke the actor's code that used
			// them (`map.get is not a function`: an attacker probe, 2026-11-28).
			const lost = jsonLoses(current);
			if (lost !== undefined)
				throw new ActorError(
					"inspector",
					"state_not_editable",
					`The state holds ${lost.what} at ${lost.path}, which the JSON editor cannot keep; change it with an action`,
					lost,
				);
			if (kindOf(current) !== kindOf(next))
				throw new ActorError(
					"inspector",
					"state_kind",
					`The state is ${kindOf(current)}; an edit must keep it ${kindOf(current)}, not make it ${kindOf(next)}`,
					{ current: kindOf(current), next: kindOf(next) },
				);
		};
		await this.#replace(
			actorId,
			next,
			{ kind: "inspector", operation: "edit", who: audit.who },
			keepKind,
		);
	}

	/**
	 * The recorded turns without their states, oldest first (empty when the
	 * `turnHistory` option is off); {@link turn} reads one with its state.
	 */
	async history(actorId: string): Promise<{ retention: number; turns: TurnSummary[] }> {
		const record = await this.#runtime.host.getLiveRecord(actorId);
		return {
			retention: this.retention(record.name),
			turns: await readTurnSummaries(this.#runtime.storage.store, actorId),
		};
	}

	/** One recorded turn with the state it left (`inspector/turn_not_found` when there is none). */
	async turn(actorId: string, seq: number): Promise<TurnRecord> {
		await this.#runtime.host.getLiveRecord(actorId);
		const turn = await readTurn(this.#runtime.storage.store, actorId, seq);
		if (turn === undefined)
			throw new ActorError("inspector", "turn_not_found", `No recorded turn ${seq}`, { seq });
		return turn;
	}

	/** How many turns an actor type keeps (its `turnHistory` option). */
	retention(name: string): number {
		return this.#runtime.host.options(name).turnHistory;
	}

	/** The action names of an actor type (for the action console). */
	actionNames(name: string): string[] {
		const actions = this.#runtime.host.definition(name).config.actions as
			| Record<string, unknown>
			| undefined;
		return Object.keys(actions ?? {});
	}

	/** Sets the state back to what recorded turn `seq` left, as a new audited turn. */
	async restore(actorId: string, seq: number, audit: InspectorAudit): Promise<void> {
		await this.#runtime.host.getLiveRecord(actorId);
		const turn = await this.#recordedState(actorId, seq);
		await this.#replace(actorId, turn.state, {
			kind: "inspector",
			operation: "restore",
			who: audit.who,
			fromSeq: seq,
		});
	}

	/**
	 * Replays the actor's workflow from a top-level entry: halts it, removes
	 * that entry and all after it from its journal, sets the state recorded by
	 * turn `restoreSeq` (when given) in the same audited turn, and starts the
	 * workflow again, which replays the entries before and runs the rest anew.
	 */
	async replayWorkflow(
		actorId: string,
		request: { path: unknown; restoreSeq?: unknown },
		audit: InspectorAudit,
	): Promise<RunRewind & { restoredSeq?: number }> {
		const host = this.#runtime.host;
		const record = await host.getLiveRecord(actorId);
		let state: { value: unknown } | undefined;
		let restoredSeq: number | undefined;
		if (request.restoreSeq !== undefined) {
			const seq = request.restoreSeq;
			if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1)
				throw errors.invalid("'restoreSeq' must be a positive integer");
			state = { value: (await this.#recordedState(actorId, seq)).state };
			restoredSeq = seq;
		}
		const instance = await host.instanceFor(record);
		const done = await instance.rewindRun({
			point: { path: request.path },
			...(state === undefined ? {} : { state }),
			origin: {
				kind: "inspector",
				operation: "replay",
				who: audit.who,
				...(restoredSeq === undefined ? {} : { fromSeq: restoredSeq }),
			},
		});
		this.#runtime.logger.info("inspector replayed a workflow", {
			actorId,
			from: done.from,
			removed: done.removed,
			restoredSeq,
			who: audit.who,
			at: this.#runtime.clock.now(),
		});
		return restoredSeq === undefined ? done : { ...done, restoredSeq };
	}

	/** Committed one-shot timers (soonest first) and cron/every jobs, with bounded argument previews. */
	async schedules(actorId: string): Promise<ScheduleView> {
		await this.#runtime.host.getLiveRecord(actorId);
		const { timers, jobs } = await readSchedules(this.#runtime.storage.store, actorId);
		return {
			now: this.#runtime.clock.now(),
			timers: timers.map((timer) => ({ ...timer, args: previewValue(timer.args).value })),
			jobs: jobs.map(({ runs, args, ...job }) => ({
				...job,
				args: previewValue(args).value,
				lastRuns: runs.slice(0, 5),
			})),
		};
	}

	/** Cancels one-shot timer `timerId` as a turn of the actor (waking it), logged with who did it. */
	async cancelTimer(actorId: string, timerId: string, audit: InspectorAudit): Promise<void> {
		if (!/^[1-9]\d{0,15}$/.test(timerId))
			throw new ActorError("inspector", "timer_not_found", `No timer '${timerId.slice(0, 40)}'`);
		const host = this.#runtime.host;
		const instance = await host.instanceFor(await host.getLiveRecord(actorId));
		if (!(await instance.cancelTimer(timerId)))
			throw new ActorError("inspector", "timer_not_found", `No timer ${timerId}`, { timerId });
		this.#runtime.logger.info("inspector cancelled a timer", {
			actorId,
			timerId,
			who: audit.who,
			at: this.#runtime.clock.now(),
		});
	}

	/**
	 * Follows the events the actor broadcasts (recorded once sent); returns
	 * those kept so far and the unsubscribe. Nothing is kept for an actor
	 * nobody follows.
	 */
	followEvents(
		actorId: string,
		listener: (event: SentEvent) => void,
	): { backlog: SentEvent[]; stop: () => void } {
		return this.#runtime.events.follow(actorId, listener);
	}

	/**
	 * KV entries (`c.kv`) whose key starts with `prefix`, up to `limit`, read in batches until
	 * {@link KV_PAGE_MAX_BYTES} of values (`partial` when the page stopped there).
	 */
	async kv(
		actorId: string,
		prefix: string,
		limit: number,
	): Promise<{ entries: KvEntry[]; partial?: true }> {
		await this.#runtime.host.getLiveRecord(actorId);
		const bytes = new TextEncoder().encode(prefix);
		const start = new Uint8Array(bytes.length + 1);
		start[0] = AREA.KV;
		start.set(bytes, 1);
		// The keys with the prefix end before the prefix's successor (or the KV area's end).
		const end = prefixEnd(start) ?? Uint8Array.of(AREA.KV + 1);
		const entries: KvEntry[] = [];
		let from: Uint8Array = start;
		let read = 0;
		while (entries.length < limit) {
			const batch = await this.#runtime.storage.store.list(
				actorId,
				{ start: from, end },
				{ limit: Math.min(KV_BATCH, limit - entries.length) },
			);
			for (const [key, value] of batch) {
				entries.push(kvEntry(key, value));
				read += value.byteLength;
			}
			const last = batch.at(-1);
			if (last === undefined || batch.length < KV_BATCH) break;
			if (read > KV_PAGE_MAX_BYTES) return { entries, partial: true };
			from = keyAfter(last[0]);
		}
		return { entries };
	}

	/** A recorded turn with its state snapshot, or the reason there is none. */
	async #recordedState(actorId: string, seq: number): Promise<TurnRecord> {
		const turn = await readTurn(this.#runtime.storage.store, actorId, seq);
		if (turn === undefined)
			throw new ActorError("inspector", "turn_not_found", `No recorded turn ${seq}`, { seq });
		if (turn.stateOmitted === true)
			throw new ActorError(
				"inspector",
				"snapshot_omitted",
				`Turn ${seq} left a state too large to keep a snapshot of`,
				{ seq },
			);
		return turn;
	}

	async #replace(
		actorId: string,
		next: unknown,
		origin: TurnOrigin,
		check?: (current: unknown) => void,
	): Promise<void> {
		const host = this.#runtime.host;
		const instance = await host.instanceFor(await host.getLiveRecord(actorId));
		if (typeof next === "function") throw errors.invalid("state must be plain data");
		await instance.replaceState(next, origin, check);
		this.#runtime.logger.info("inspector replaced an actor's state", {
			actorId,
			operation: origin.kind === "inspector" ? origin.operation : "edit",
			who: origin.kind === "inspector" ? origin.who : "unknown",
			at: this.#runtime.clock.now(),
		});
	}
}

/** The kind of a state value, as an edit must keep it. */
function kindOf(value: unknown): string {
	if (value === null) return "null";
	if (value === undefined) return "absent (this actor type keeps no state)";
	if (Array.isArray(value)) return "an array";
	return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * Where `value` holds something its JSON view does not keep (a Map, a Date,
 * a typed array other than bytes, a number JSON has no word for), or undefined. Bounded like the state it
 * walks (stored states are plain data of limited size).
 */
function jsonLoses(value: unknown, path = "state"): { path: string; what: string } | undefined {
	if (typeof value === "number")
		return Number.isFinite(value) ? undefined : { path, what: String(value) };
	if (typeof value !== "object" || value === null) return undefined;
	if (value instanceof Map) return { path, what: "a Map" };
	if (value instanceof Date) return { path, what: "a Date" };
	// Bytes are tagged in JSON; other views (an Int32Array, a DataView) become plain objects.
	if (value instanceof Uint8Array || value instanceof ArrayBuffer) return undefined;
	if (ArrayBuffer.isView(value)) return { path, what: `a ${value.constructor.name}` };
	const entries = value instanceof Set ? [...value].entries() : Object.entries(value);
	for (const [key, inner] of entries) {
		const found = jsonLoses(inner, `${path}.${String(key)}`);
		if (found !== undefined) return found;
	}
	return undefined;
}
