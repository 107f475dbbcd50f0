// The entry of a sandbox worker thread (started by start-worker.ts): it answers the host's
// requests one at a time on the worker's QuickJS engine.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { isMainThread, type MessagePort, parentPort, workerData } from "node:worker_threads";
import { acquireEngine, errorText, runOnEngine, workerStats } from "./quickjs-engine.js";
import { isSandboxWorkerData, type WorkerReply, type WorkerRequest } from "./worker-messages.js";

/** Answers requests one at a time; says `ready` once the first engine is loaded. */
function serveRuns(port: MessagePort): void {
	let queue = acquireEngine().then(() => port.postMessage({ type: "ready" } satisfies WorkerReply));
	port.on("message", (request: WorkerRequest) => {
		queue = queue.then(async () => {
			let reply: WorkerReply;
			try {
				reply =
					request.type === "run"
						? {
								type: "result",
								id: request.id,
								result: await runOnEngine(request.code, request.limits),
								stats: workerStats(),
							}
						: { type: "heap", id: request.id, heapUsedBytes: heapAfterCollection() };
			} catch (error) {
				reply = { type: "failed", id: request.id, message: errorText(error) };
			}
			port.postMessage(reply);
		});
	});
}

let collectGarbage: (() => void) | undefined;

/** This worker's heap after a full collection (gc is reachable only through --expose-gc). */
function heapAfterCollection(): number {
	if (collectGarbage === undefined) {
		setFlagsFromString("--expose-gc");
		const gc: unknown = runInNewContext("gc");
		if (typeof gc !== "function") throw new Error("V8 did not expose gc");
		collectGarbage = gc as () => void;
	}
	collectGarbage();
	collectGarbage();
	return process.memoryUsage().heapUsed;
}

// Last, so that every module-level binding above is initialized when a worker starts serving.
if (!isMainThread && parentPort !== null && isSandboxWorkerData(workerData)) {
	serveRuns(parentPort);
}
