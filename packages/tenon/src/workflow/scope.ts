import { utf8Length } from "../protocol/bytes.js";
import {
	EvictedError,
	HistoryDivergedError,
	invalidWorkflowUse,
	ReplayEndError,
} from "./errors.js";
import type { Journal, JournalEntry } from "./journal.js";
import type { RaceSeat } from "./race-gate.js";
import type { EntryKind } from "./types.js";

/**
 * Where a failure rolls back to: the workflow itself or a `try` block. The
 * compensations of the steps its journal records since its last checkpoint
 * run, newest first, when the failure reaches the frame (see rollback.ts).
 */
export class RollbackFrame {
	readonly parent: RollbackFrame | undefined;
	/** The path of the frame's scope: `[]` for the workflow, a `try` block's otherwise. */
	readonly path: readonly number[];
	hasCheckpoint = false;

	constructor(parent: RollbackFrame | undefined, path: readonly number[]) {
		this.parent = parent;
		this.path = path;
	}

	/** True if this frame or an enclosing one passed a checkpoint. */
	get checkpointed(): boolean {
		for (let frame: RollbackFrame | undefined = this; frame; frame = frame.parent) {
			if (frame.hasCheckpoint) return true;
		}
		return false;
	}
}

const MAX_NAME_BYTES = 256;

/**
 * A sequence of workflow calls: the workflow body, a loop iteration, a join or
 * race branch, a try block. Each call takes the next ordinal; the entry at
 * that position of the journal must be the same kind and name, or the
 * history diverged.
 */
export class Scope {
	readonly journal: Journal;
	readonly path: readonly number[];
	/** Readable location of the scope (`""` for the workflow body). */
	readonly label: string;
	/** Aborted when the actor stops (eviction) or this branch lost a race. */
	readonly signal: AbortSignal;
	readonly frame: RollbackFrame;
	/** The races this scope is a branch of (or nested in one), innermost last: see race-gate.ts. */
	readonly seats: readonly RaceSeat[];
	/**
	 * The scope finished before (or was cut short, as a race's loser) and its
	 * code runs again only to learn its steps' compensations (see
	 * rollback.ts): every call must meet a recorded entry, and the code stops
	 * with {@link ReplayEndError} where the journal ends. Nothing is written.
	 */
	readonly replayOnly: boolean;
	readonly #parent: Scope | undefined;
	readonly #evicted: AbortSignal;
	#next = 0;
	#compensable = false;

	constructor(
		journal: Journal,
		path: readonly number[],
		label: string,
		signal: AbortSignal,
		evicted: AbortSignal,
		frame: RollbackFrame,
		options: { seats?: readonly RaceSeat[]; replayOnly?: boolean; parent?: Scope } = {},
	) {
		this.journal = journal;
		this.path = path;
		this.label = label;
		this.signal = signal;
		this.#evicted = evicted;
		this.frame = frame;
		this.seats = options.seats ?? [];
		this.replayOnly = options.replayOnly ?? false;
		this.#parent = options.parent;
	}

	/** True once a step with a compensation completed (or replayed) in this scope or one nested in it. */
	get compensable(): boolean {
		return this.#compensable;
	}

	/** A step with a compensation completed (or replayed) here. */
	noteCompensable(): void {
		for (let scope: Scope | undefined = this; scope && !scope.#compensable; scope = scope.#parent)
			scope.#compensable = true;
	}

	/** Throws if this branch must stop (the actor is stopping, or the branch was cancelled). */
	check(): void {
		if (this.#evicted.aborted) throw new EvictedError();
		if (this.signal.aborted) throw this.signal.reason;
	}

	/** The readable location of an entry named `name` in this scope. */
	locate(name: string): string {
		return this.label === "" ? name : `${this.label}/${name}`;
	}

	/**
	 * Takes the next position for a call of `kind` named `name` and returns
	 * the journal entry already there (on replay).
	 */
	claim(
		kind: EntryKind,
		name: string,
	): { path: number[]; entry: JournalEntry | undefined; location: string } {
		checkName(name, kind);
		this.check();
		const path = [...this.path, this.#next++];
		const location = this.locate(name);
		const entry = this.journal.get(path);
		if (entry !== undefined && (entry.kind !== kind || entry.name !== name)) {
			throw new HistoryDivergedError(
				location,
				`the code runs ${describe(kind, name)} where the journal has ${describe(entry.kind, entry.name)}`,
			);
		}
		// A try block's entry is written when it ends: one cut short has entries but none of its own.
		if (this.replayOnly && entry === undefined && kind !== "try") throw new ReplayEndError();
		return { path, entry, location };
	}

	/** Looks at the next position without taking it (for `getVersion`). */
	peek(): JournalEntry | undefined {
		return this.journal.get([...this.path, this.#next]);
	}

	/** Takes the next position for an entry that was looked at with {@link peek}. */
	skip(): number[] {
		return [...this.path, this.#next++];
	}

	/** The scope's code finished: the journal must not have entries the code did not reach. */
	finish(): void {
		if (!this.journal.hasEntryFrom(this.path, this.#next)) return;
		let ordinal = this.#next;
		let entry = this.journal.get([...this.path, ordinal]);
		while (entry === undefined && this.journal.hasEntryFrom(this.path, ordinal + 1)) {
			ordinal++;
			entry = this.journal.get([...this.path, ordinal]);
		}
		const what = entry ? describe(entry.kind, entry.name) : "more entries";
		throw new HistoryDivergedError(
			this.locate(entry?.name ?? "(end)"),
			`the code finished here but the journal has ${what}; if it was removed, call ctx.removed('${entry?.name ?? "name"}', '${entry?.kind ?? "step"}') in its place`,
		);
	}

	/**
	 * A nested scope under the entry at `entryPath` (loop iteration, branch,
	 * try block); `seat`: it is a branch of a race; `replayOnly`: see
	 * {@link replayOnly} (inherited).
	 */
	child(
		entryPath: readonly number[],
		segment: number,
		label: string,
		options: {
			signal?: AbortSignal;
			frame?: RollbackFrame;
			seat?: RaceSeat;
			replayOnly?: boolean;
		} = {},
	): Scope {
		return new Scope(
			this.journal,
			[...entryPath, segment],
			label,
			options.signal ?? this.signal,
			this.#evicted,
			options.frame ?? this.frame,
			{
				seats: options.seat === undefined ? this.seats : [...this.seats, options.seat],
				replayOnly: this.replayOnly || options.replayOnly === true,
				parent: this,
			},
		);
	}
}

function describe(kind: EntryKind, name: string): string {
	return `${kind.replace("_", " ")} '${name}'`;
}

function checkName(name: unknown, kind: EntryKind): void {
	if (typeof name !== "string" || name === "") {
		throw invalidWorkflowUse(`every workflow ${kind} needs a non-empty name`);
	}
	// Half a surrogate pair (a client's text cut inside an emoji): its journal entry could not
	// be stored, after the step had run and its state was committed (a probe, 2026-11-27).
	if (!name.isWellFormed()) {
		throw invalidWorkflowUse(
			`workflow ${kind} name '${name.toWellFormed().slice(0, 40)}' is not well-formed text (half a surrogate pair)`,
		);
	}
	if (utf8Length(name) > MAX_NAME_BYTES) {
		throw invalidWorkflowUse(
			`workflow ${kind} name '${name.slice(0, 40)}…' exceeds ${MAX_NAME_BYTES} bytes`,
		);
	}
}
