import { useCallback, useEffect, useRef, useState } from "react";
import { describeError } from "./api.js";

/** The latest answer of `load`, reloaded every `intervalMs` (0: once) and on `reload()`. */
export function usePoll<T>(
	load: () => Promise<T>,
	intervalMs: number,
	deps: readonly unknown[],
): { data: T | undefined; error: string | undefined; reload: () => void } {
	const [data, setData] = useState<T | undefined>(undefined);
	const [error, setError] = useState<string | undefined>(undefined);
	const [tick, setTick] = useState(0);
	const loadRef = useRef(load);
	loadRef.current = load;
	// biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's
	useEffect(() => {
		let live = true;
		let timer: ReturnType<typeof setTimeout> | undefined;
		const run = async () => {
			try {
				const value = await loadRef.current();
				if (!live) return;
				setData(value);
				setError(undefined);
			} catch (caught) {
				if (live) setError(describeError(caught));
			}
			if (live && intervalMs > 0) timer = setTimeout(run, intervalMs);
		};
		void run();
		return () => {
			live = false;
			if (timer !== undefined) clearTimeout(timer);
		};
	}, [...deps, tick, intervalMs]);
	const reload = useCallback(() => setTick((n) => n + 1), []);
	return { data, error, reload };
}
