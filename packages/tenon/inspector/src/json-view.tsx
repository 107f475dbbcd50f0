import { visibleText } from "./visible-key.js";

/** Characters of JSON a view shows at most: past it, the value is cut, saying so. */
const MAX_CHARS = 200_000;
/** Levels of nesting shown; deeper ones as `[…]` / `{…}`. */
const MAX_DEPTH = 40;
/** Items of one array or object shown. */
const MAX_ITEMS = 2_000;
/** Levels that indent: deeper ones stay at this indentation. */
const MAX_INDENT = 12;

/**
 * `value` as pretty JSON within the view's limits, and whether anything was
 * cut. `JSON.stringify(value, null, 2)` of a client's 400 KB state nested 500
 * deep was 201 million characters (the page froze 13 s), and of a larger one
 * threw `Invalid string length`, which took the whole app down, again after
 * every reload (an attacker probe, 2026-11-28).
 */
export function boundedJson(value: unknown): { text: string; cut: boolean } {
	const parts: string[] = [];
	let size = 0;
	let cut = false;
	const push = (text: string): void => {
		const room = MAX_CHARS - size;
		if (text.length > room) {
			parts.push(text.slice(0, Math.max(0, room)));
			size = MAX_CHARS;
			cut = true;
			return;
		}
		parts.push(text);
		size += text.length;
	};
	const write = (item: unknown, depth: number): void => {
		if (size >= MAX_CHARS) {
			cut = true;
			return;
		}
		if (item === null || typeof item !== "object") {
			push(item === undefined ? "undefined" : (JSON.stringify(item) ?? "null"));
			return;
		}
		const bytes = taggedBytes(item);
		if (bytes !== undefined) {
			push(bytes);
			return;
		}
		const array = Array.isArray(item);
		const keys = array ? [] : Object.keys(item);
		const count = array ? item.length : keys.length;
		if (count === 0) {
			push(array ? "[]" : "{}");
			return;
		}
		if (depth >= MAX_DEPTH) {
			cut = true;
			push(array ? "[…]" : "{…}");
			return;
		}
		const pad = "  ".repeat(Math.min(depth + 1, MAX_INDENT));
		push(array ? "[" : "{");
		for (let i = 0; i < Math.min(count, MAX_ITEMS) && size < MAX_CHARS; i++) {
			push(`${i === 0 ? "" : ","}\n${pad}`);
			if (array) write(item[i], depth + 1);
			else {
				const key = keys[i] as string;
				push(`${JSON.stringify(key)}: `);
				write((item as Record<string, unknown>)[key], depth + 1);
			}
		}
		if (count > MAX_ITEMS) {
			cut = true;
			push(`,\n${pad}"…(+${count - MAX_ITEMS} ${array ? "items" : "keys"})"`);
		}
		push(`\n${"  ".repeat(Math.min(depth, MAX_INDENT))}${array ? "]" : "}"}`);
	};
	write(value, 0);
	return { text: parts.join(""), cut };
}

/** Bytes shown of a binary value (its length is always shown). */
const MAX_BYTES_SHOWN = 64;

/**
 * Binary data as the protocol's JSON tags it (`["$Uint8Array", "<base64>"]`), shown as the
 * Events and KV views show bytes: its length and hex (the first 64 bytes). It read as the
 * tag and base64 text in the State and SQL views (a walkthrough, 2026-11-29).
 */
function taggedBytes(item: object): string | undefined {
	if (!Array.isArray(item) || item.length !== 2) return undefined;
	const [tag, base64] = item as unknown[];
	if ((tag !== "$Uint8Array" && tag !== "$ArrayBuffer") || typeof base64 !== "string")
		return undefined;
	if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return undefined;
	const length =
		(base64.length / 4) * 3 - (base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0);
	// Only the bytes shown are decoded (a state may hold megabytes).
	const head = atob(base64.slice(0, Math.ceil(MAX_BYTES_SHOWN / 3) * 4));
	let hex = "";
	for (let i = 0; i < Math.min(head.length, MAX_BYTES_SHOWN); i++)
		hex += head.charCodeAt(i).toString(16).padStart(2, "0");
	return `<${tag.slice(1)} ${length} bytes: ${hex}${length > MAX_BYTES_SHOWN ? "…" : ""}>`;
}

/** Pretty-printed JSON, selectable, in a scrolling block: within limits, saying when it is cut. */
export function JsonView({ value, testId }: { value: unknown; testId?: string }) {
	const { text, cut } = boundedJson(value);
	return (
		<>
			<pre className="json" data-testid={testId}>
				{visibleText(text)}
			</pre>
			{cut && (
				<p className="muted small" data-testid={testId === undefined ? undefined : `${testId}-cut`}>
					Cut: the value is larger or deeper than this view shows.
				</p>
			)}
		</>
	);
}
