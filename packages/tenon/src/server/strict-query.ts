// A query string read pair by pair as it was sent. URLSearchParams decodes
// names and values leniently (percent-encoding that is not UTF-8 becomes
// U+FFFD) and writes pairs back out re-encoded, so it is used neither to
// check `rvt-*` parameters nor to pass the rest of a query on.

import { errors } from "../protocol/errors.js";

/** One `name=value` pair of a query. */
export interface QueryPair {
	/** The pair as sent. */
	readonly raw: string;
	/** Its name decoded (`+` as a space), or undefined when that is not UTF-8 percent-encoding. */
	readonly name: string | undefined;
	/** Its value decoded the same way (`""` when it has no `=`), or undefined. */
	readonly value: string | undefined;
	/** Its name as URLSearchParams reads it (invalid encoding as U+FFFD). */
	readonly lenientName: string;
}

function strictDecode(text: string): string | undefined {
	const spaced = text.replace(/\+/g, " ");
	if (!spaced.includes("%")) return spaced;
	try {
		return decodeURIComponent(spaced);
	} catch {
		return undefined;
	}
}

function lenientDecode(text: string): string {
	return new URLSearchParams(`${text}=`).keys().next().value ?? "";
}

/** The non-empty pairs of `search` (with or without its `?`), in order. */
export function queryPairs(search: string): QueryPair[] {
	const pairs: QueryPair[] = [];
	for (const raw of search.replace(/^\?/, "").split("&")) {
		if (raw === "") continue;
		const equals = raw.indexOf("=");
		const rawName = equals === -1 ? raw : raw.slice(0, equals);
		const name = strictDecode(rawName);
		pairs.push({
			raw,
			name,
			value: strictDecode(equals === -1 ? "" : raw.slice(equals + 1)),
			lenientName: name ?? lenientDecode(rawName),
		});
	}
	return pairs;
}

/** The refusal of a query pair whose name or value is not UTF-8 percent-encoding (`lenientName`: its name as read leniently). */
export function notUtf8Query(lenientName: string) {
	return errors.invalidQuery(`'${lenientName.slice(0, 40)}' is not valid UTF-8 percent-encoding`);
}
