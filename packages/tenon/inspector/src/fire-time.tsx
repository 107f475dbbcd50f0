import { relativeTime } from "./relative-time.js";

/** When something fires: relative to the server's clock, with the absolute time beside it. */
export function FireTime({ at, now }: { at: number; now: number }) {
	const due = at <= now;
	return (
		<span className="nowrap" title={new Date(at).toISOString()}>
			<strong className={due ? "error" : undefined}>{due ? "due" : relativeTime(at, now)}</strong>{" "}
			<span className="muted small">{new Date(at).toLocaleString()}</span>
		</span>
	);
}
