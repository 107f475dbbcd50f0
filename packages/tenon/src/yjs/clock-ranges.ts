/**
 * The entry of `list` (one client's, in clock order, ranges not overlapping)
 * whose clocks `[start, end)` hold `clock`; undefined when none does. The
 * update checks keep an update's own structs this way (update-cost.ts,
 * update-references.ts).
 */
export function holdingClock<T>(
	list: readonly T[],
	clock: number,
	start: (entry: T) => number,
	end: (entry: T) => number,
): T | undefined {
	let low = 0;
	let high = list.length - 1;
	while (low <= high) {
		const middle = (low + high) >> 1;
		const entry = list[middle] as T;
		if (clock < start(entry)) high = middle - 1;
		else if (clock >= end(entry)) low = middle + 1;
		else return entry;
	}
	return undefined;
}
