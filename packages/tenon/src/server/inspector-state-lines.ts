// The lines of an actor's state streams (inspector-stream.ts), shared by every
// stream open on that actor: one commit watcher, and one read and JSON
// encoding of the state per commit, however many streams wait for it. Each
// stream read and encoded the whole state on every commit by itself, and a
// holder of the read-only token opening 20 streams on an actor with a 5 MB
// state (which clients write) slowed every other client's calls from 5 ms to
// 746 ms (an attacker probe, 2026-11-28).

import { encodeValue } from "../protocol/encoding.js";
import type { ActorGateway } from "../runtime/actor-gateway.js";

/** One actor's shared state lines. */
class ActorStateLines {
	/** Commits seen since the first stream opened. */
	#generation = 0;
	readonly #streams = new Set<() => void>();
	readonly #stopWatching: () => void;
	/** The read under way or last done, and the commit it is as recent as. */
	#read: { generation: number; line: Promise<string> } | undefined;

	constructor(
		private readonly actors: ActorGateway,
		private readonly actorId: string,
	) {
		this.#stopWatching = actors.inspector.watchCommits(actorId, () => {
			this.#generation++;
			for (const onCommit of [...this.#streams]) onCommit();
		});
	}

	get empty(): boolean {
		return this.#streams.size === 0;
	}

	add(onCommit: () => void): () => void {
		this.#streams.add(onCommit);
		return () => this.#streams.delete(onCommit);
	}

	stop(): void {
		this.#stopWatching();
	}

	/**
	 * The state's line as of the last commit seen or later: a read started
	 * since that commit (under way or done) is shared, not repeated.
	 */
	line(): Promise<string> {
		const wanted = this.#generation;
		const read = this.#read;
		if (read !== undefined && read.generation >= wanted) return read.line;
		const line = this.#readLine();
		const entry = { generation: wanted, line };
		this.#read = entry;
		// A failed read is not kept: the next asks again.
		line.catch(() => {
			if (this.#read === entry) this.#read = undefined;
		});
		return line;
	}

	async #readLine(): Promise<string> {
		const { initialized, state } = await this.actors.inspector.state(this.actorId);
		return encodeValue("json", {
			initialized,
			state,
			status: this.actors.isAwake(this.actorId) ? "awake" : "sleeping",
		}) as string;
	}
}

/** Every server's shared lines, by actor id (a server is its gateway). */
const linesByServer = new WeakMap<ActorGateway, Map<string, ActorStateLines>>();

/** A stream's view of its actor's shared lines. */
export interface StateLines {
	/** The newest state's line (shared with the actor's other streams). */
	line(): Promise<string>;
	/** Stops `onCommit` being called; the last stream of an actor stops its watcher. */
	close(): void;
}

/** Opens a stream's view of `actorId`'s state lines; `onCommit` runs after each commit. */
export function openStateLines(
	actors: ActorGateway,
	actorId: string,
	onCommit: () => void,
): StateLines {
	let byActor = linesByServer.get(actors);
	if (byActor === undefined) {
		byActor = new Map();
		linesByServer.set(actors, byActor);
	}
	let lines = byActor.get(actorId);
	if (lines === undefined) {
		lines = new ActorStateLines(actors, actorId);
		byActor.set(actorId, lines);
	}
	const shared = lines;
	const remove = shared.add(onCommit);
	let closed = false;
	return {
		line: () => shared.line(),
		close: () => {
			if (closed) return;
			closed = true;
			remove();
			if (shared.empty && byActor.get(actorId) === shared) {
				byActor.delete(actorId);
				shared.stop();
			}
		},
	};
}
