// How far one statement may grow SQLite's WebAssembly heap. Every actor of the process shares
// the module's one memory, which grows as SQLite allocates and never shrinks: a statement that
// held many long values at once (a subquery row of `randomblob` columns, each within the
// actor's longest value) grew it to its 2 GiB maximum for an actor whose database may hold
// 1 MiB, and the process kept the 2 GiB (an attacker probe, 2026-11-29). SQLite's own heap
// limits need its memory statistics, which this build leaves off; the one place every growth
// passes is Emscripten's `emscripten_resize_heap` import, so that is where it is refused:
// SQLite's allocation then fails (SQLITE_NOMEM) for that statement only, and what it took goes
// back to SQLite's allocator for the next ones. Statements run one at a time per process.

/** The heap size the running statement may grow the memory to (no statement: no bound). */
let ceiling = Number.POSITIVE_INFINITY;

/** From now until {@link endStatementHeap}, the heap (now `heapBytes`) may grow by `budget`. */
export function beginStatementHeap(heapBytes: number, budget: number): void {
	ceiling = heapBytes + budget;
}

export function endStatementHeap(): void {
	ceiling = Number.POSITIVE_INFINITY;
}

/** The import names of Emscripten's heap growth in `loaderSource`, or undefined when not found. */
function resizeImport(loaderSource: string): { module: string; name: string } | undefined {
	const module = /\{(\w+):wasmImports\}/.exec(loaderSource)?.[1];
	const name = /[{,](\w+):_emscripten_resize_heap[,}]/.exec(loaderSource)?.[1];
	return module === undefined || name === undefined ? undefined : { module, name };
}

/**
 * Wraps the heap-growth import of `imports` (found by its name in the minified loader) so that a
 * growth past the running statement's bound fails, as a growth past the module's maximum does.
 * Returns false when the loader binds it otherwise (then nothing is bounded).
 */
export function guardHeapGrowth(imports: WebAssembly.Imports, loaderSource: string): boolean {
	const found = resizeImport(loaderSource);
	const table = found === undefined ? undefined : imports[found.module];
	const original = found === undefined ? undefined : table?.[found.name];
	if (found === undefined || table === undefined || typeof original !== "function") return false;
	const grow = original as (requested: number) => unknown;
	(table as Record<string, unknown>)[found.name] = (requested: number) =>
		requested >>> 0 > ceiling ? false : grow(requested);
	return true;
}
