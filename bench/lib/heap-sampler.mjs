// Preloaded into a bench server by bench/promoted-garbage.ts (node --import):
// V8's sampling heap profiler from the process's start, keeping the samples
// of objects a major GC collected when HEAP_SAMPLER_MAJOR=1 (never those a
// scavenge collected). On SIGUSR2 it writes the profile to HEAP_SAMPLER_OUT.
import { renameSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const session = new Session();
session.connect();
const post = (method, params) =>
	new Promise((resolve, reject) =>
		session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
	);
await post("HeapProfiler.enable");
await post("HeapProfiler.startSampling", {
	samplingInterval: 8192,
	includeObjectsCollectedByMajorGC: process.env.HEAP_SAMPLER_MAJOR === "1",
	includeObjectsCollectedByMinorGC: false,
});
process.on("SIGUSR2", async () => {
	const { profile } = await post("HeapProfiler.getSamplingProfile");
	const out = process.env.HEAP_SAMPLER_OUT ?? "heap-sampler.json";
	// Whole or not at all: the runner waits for the file to appear.
	writeFileSync(`${out}.part`, JSON.stringify(profile));
	renameSync(`${out}.part`, out);
});
