// The messages between the host (sandbox.ts) and a sandbox worker (worker-entry.ts).

import type { SandboxLimits, SandboxResult } from "./sandbox.js";

/** Marks the workerData of the sandbox's own workers. */
export const WORKER_MARKER = "tenonAgentSandboxWorker";

/** Whether `data` is the workerData of a sandbox worker (see {@link WORKER_MARKER}). */
export function isSandboxWorkerData(data: unknown): boolean {
	return typeof data === "object" && data !== null && WORKER_MARKER in data;
}

/** What the host asks of a worker. */
export type WorkerRequest =
	| {
			readonly type: "run";
			readonly id: number;
			readonly code: string;
			readonly limits: Required<SandboxLimits>;
	  }
	| { readonly type: "measureHeap"; readonly id: number };

/** What a worker reports about itself with every reply. */
export interface WorkerStats {
	readonly enginesCreated: number;
	readonly wasmMemoryBytes: number;
	readonly lastRetirement: string | undefined;
}

/** What a worker answers: `ready` once, then one reply per request, by its `id`. */
export type WorkerReply =
	| { readonly type: "ready" }
	| {
			readonly type: "result";
			readonly id: number;
			readonly result: SandboxResult;
			readonly stats: WorkerStats;
	  }
	| { readonly type: "heap"; readonly id: number; readonly heapUsedBytes: number }
	| { readonly type: "failed"; readonly id: number; readonly message: string };
