// SQLite's WebAssembly module keeps its C stack in its own memory, with the stack pointer in a
// wasm global. A JavaScript stack overflow (a RangeError) or a trap thrown out of the middle of
// a call unwinds past the code that would have moved that pointer back, so it stays where the
// cut left it: after a few such calls the C stack ran into the module's data, and every later
// call of every actor failed until the process restarted (an attacker probe, 2026-11-27: a LIKE
// pattern of 8,000 `%`, matched by recursion). The module is shared by every actor, so each
// statement puts the pointer back when it throws (ActorDatabase.run). Emscripten does not export
// its stack functions on the module, and its build minifies their names: they are read from its
// loader's source, where it binds them to the instance's exports. Without them nothing is
// guarded (the LIKE pattern limit still stands, open.ts).

/** Reads and puts back the module's stack pointer. */
export interface WasmStack {
	save(): number;
	restore(pointer: number): void;
}

/** The export names the loader binds the two functions to, or undefined when not found. */
function exportNames(loaderSource: string): { save: string; restore: string } | undefined {
	const save = /_emscripten_stack_get_current=wasmExports\["(\w+)"\]/.exec(loaderSource)?.[1];
	const restore = /__emscripten_stack_restore=wasmExports\["(\w+)"\]/.exec(loaderSource)?.[1];
	return save === undefined || restore === undefined ? undefined : { save, restore };
}

/**
 * Makes the module with Emscripten's `factory`, instantiating `wasmBinary` itself (its
 * `instantiateWasm` hook) to keep the instance's stack functions.
 */
export async function instantiateKeepingStack(
	factory: (options: object) => Promise<unknown>,
	wasmBinary: Uint8Array,
	loaderSource: string,
	adjustImports: (imports: WebAssembly.Imports) => void = () => {},
): Promise<{ module: unknown; stack: WasmStack | undefined }> {
	let stack: WasmStack | undefined;
	const names = exportNames(loaderSource);
	let failed: (error: unknown) => void = () => {};
	// The hook has no way to report a failure to the factory, which would then wait for good.
	const failure = new Promise<never>((_, reject) => {
		failed = reject;
	});
	const instantiateWasm = (
		imports: WebAssembly.Imports,
		receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
	): object => {
		adjustImports(imports);
		const made = WebAssembly.instantiate(
			wasmBinary as BufferSource,
			imports,
		) as Promise<WebAssembly.WebAssemblyInstantiatedSource>;
		made.then(({ instance, module }) => {
			const save = names && instance.exports[names.save];
			const restore = names && instance.exports[names.restore];
			if (typeof save === "function" && typeof restore === "function")
				stack = { save: save as () => number, restore: restore as (p: number) => void };
			receive(instance, module);
		}, failed);
		return {};
	};
	const module = await Promise.race([factory({ wasmBinary, instantiateWasm }), failure]);
	return { module, stack };
}
