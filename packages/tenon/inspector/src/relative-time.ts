/** `in 5 min`, `3 s ago`: how far `at` is from `now`, in the largest whole unit. */
export function relativeTime(at: number, now: number): string {
	const delta = at - now;
	const size = Math.abs(delta);
	const units: [number, string][] = [
		[86_400_000, "d"],
		[3_600_000, "h"],
		[60_000, "min"],
		[1_000, "s"],
	];
	if (size < 1_000) return delta >= 0 ? "now" : "just now";
	const [unit, name] = units.find(([ms]) => size >= ms) ?? [1_000, "s"];
	const amount = Math.floor(size / unit);
	return delta >= 0 ? `in ${amount} ${name}` : `${amount} ${name} ago`;
}
