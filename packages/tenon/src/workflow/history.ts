import type { ActorStore } from "../storage/interfaces.js";
import { type JournalEntry, readJournal } from "./journal.js";
import { type ReplayRefusal, replayRefusals } from "./rewind.js";
import type { WorkflowHistory, WorkflowHistoryEntry } from "./types.js";

function comparePaths(a: readonly number[], b: readonly number[]): number {
	for (let i = 0; i < Math.min(a.length, b.length); i++) {
		const difference = (a[i] as number) - (b[i] as number);
		if (difference !== 0) return difference;
	}
	return a.length - b.length;
}

/** Readable locations (`loop[3]/step`, `join.branch/step`) for journal paths. */
function locator(entries: Map<string, JournalEntry>): (path: number[]) => string {
	const cache = new Map<string, string>();
	const locate = (path: number[]): string => {
		const id = path.join(",");
		const cached = cache.get(id);
		if (cached !== undefined) return cached;
		const entry = entries.get(id);
		const name = entry?.name ?? `#${path[path.length - 1]}`;
		let location = name;
		if (path.length > 1) {
			const parentPath = path.slice(0, -2);
			const segment = path[path.length - 2] as number;
			const parent = entries.get(parentPath.join(","));
			const parentLocation = locate(parentPath);
			let scope: string;
			if (parent?.kind === "loop") scope = `${parentLocation}[${segment}]`;
			else if (parent?.kind === "join" || parent?.kind === "race") {
				scope = `${parentLocation}.${Object.keys(parent.branches ?? {})[segment] ?? segment}`;
			} else if (parent?.kind === "try") scope = parentLocation;
			else scope = `${parentLocation}#${segment}`;
			location = `${scope}/${name}`;
		}
		cache.set(id, location);
		return location;
	};
	return locate;
}

/**
 * A workflow's committed journal and status, read from storage (the actor
 * need not be awake). For the inspector and tests.
 */
export async function readWorkflowHistory(
	store: ActorStore,
	actorId: string,
): Promise<WorkflowHistory> {
	const { status, halted, entries, bytes } = await readJournal({
		get: (keys) => store.get(actorId, keys),
		list: (range) => store.list(actorId, range),
	});
	const byId = new Map(entries.map(({ path, entry }) => [path.join(","), entry]));
	const refusals = replayRefusals(entries);
	const locate = locator(byId);
	const listed: WorkflowHistoryEntry[] = entries
		.sort((a, b) => comparePaths(a.path, b.path))
		.map(({ path, entry }) => ({
			location: locate(path),
			path,
			kind: entry.kind,
			name: entry.name,
			status: entry.status,
			createdAt: entry.createdAt,
			...(entry.attempts === undefined ? {} : { attempts: entry.attempts }),
			...(entry.error === undefined ? {} : { error: entry.error }),
			...(entry.failure === undefined ? {} : { failure: entry.failure }),
			...(entry.completedAt === undefined ? {} : { completedAt: entry.completedAt }),
			...(entry.retryAt === undefined ? {} : { retryAt: entry.retryAt }),
			...(entry.deadline === undefined ? {} : { deadline: entry.deadline }),
			...(entry.iteration === undefined ? {} : { iteration: entry.iteration }),
			...(entry.rolledBackAt === undefined ? {} : { rolledBackAt: entry.rolledBackAt }),
			...(entry.rollingBack === undefined ? {} : { rollingBack: entry.rollingBack }),
			...(entry.rollbackCrashes === undefined ? {} : { rollbackCrashes: entry.rollbackCrashes }),
			...(entry.rollbackError === undefined ? {} : { rollbackError: entry.rollbackError }),
			...(entry.output === undefined ? {} : { output: entry.output }),
			...replayRefusedAt(path, refusals),
		}));
	// A halted run's status record still says running (it resumes at the next wake).
	const stopped =
		halted !== undefined && status?.status !== "completed" && status?.status !== "failed";
	const error = stopped ? halted : status?.error;
	return {
		status: stopped ? "halted" : (status?.status ?? "pending"),
		...(status?.output === undefined ? {} : { output: status.output }),
		...(error === undefined ? {} : { error }),
		...(status?.startedAt === undefined ? {} : { startedAt: status.startedAt }),
		...(status?.finishedAt === undefined ? {} : { finishedAt: status.finishedAt }),
		entries: listed,
		journalBytes: bytes,
	};
}

/** A top-level entry's replay refusal, as the history shows it. */
function replayRefusedAt(
	path: number[],
	refusals: Map<number, ReplayRefusal>,
): Pick<WorkflowHistoryEntry, "replayRefused"> {
	const refusal = path.length === 1 ? refusals.get(path[0] as number) : undefined;
	return refusal === undefined
		? {}
		: { replayRefused: { reason: refusal.reason, message: refusal.message } };
}
