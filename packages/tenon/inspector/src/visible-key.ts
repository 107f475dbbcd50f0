/**
 * Code points that are not seen but change how the text around them is
 * shown, or that show as nothing: format characters (bidi embeddings,
 * overrides and isolates, zero-width joiners and spaces), controls, line and
 * paragraph separators, the other default-ignorable ones (Hangul fillers,
 * variation selectors), spaces other than U+0020, and the blank braille
 * pattern. An actor key is a client's choice: `"\u202Edorp-stnemyap"` showed
 * as `payments-prod`, in the list and in the destroy dialog alike, and
 * `payments\u2800prod` as `payments prod` (attacker probes).
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]|(?! )\p{Zs}/gu;
/** The same but line breaks and tabs, which lay a value out (pretty JSON, a multi-line cell). */
const HIDDEN_IN_VALUES =
	/(?![\t\n])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]|(?! )\p{Zs}/gu;

/**
 * Letters of the scripts whose letters look like Latin ones (Armenian օ and Cherokee Ꭺ too, an
 * attacker probe, 2026-11-28), and dashes that look like `-` (U+2010 to U+2015, the minus sign,
 * the small and fullwidth hyphen-minus).
 */
const LOOK_ALIKE =
	/[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}\p{Script=Cherokee}\p{Script=Coptic}\u2010-\u2015\u2212\uFE63\uFF0D]/gu;
const LATIN = /\p{Script=Latin}/u;

const escaped = (char: string) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`;

/**
 * `text` (a value: state, a cell, a payload) with every hidden code point
 * shown as `\u{…}`, line breaks and tabs kept.
 */
export function visibleText(text: string): string {
	return text.replace(HIDDEN_IN_VALUES, escaped);
}

/**
 * A name a client chose (a key's part, an event or queue name, a KV key) as
 * the inspector shows it: hidden code points as `\u{…}`, and in a name that
 * mixes Latin letters with Cyrillic or Greek ones, those too:
 * `payments-pr\u{43e}d` (a Cyrillic о) looked like `payments-prod` (an
 * attacker probe, 2026-11-27). A name in one script is shown as it is; so are
 * values (a Russian message in a state stays readable).
 */
export function visibleName(name: string): string {
	const shown = name.replace(HIDDEN, escaped);
	return LATIN.test(shown) ? shown.replace(LOOK_ALIKE, escaped) : shown;
}

/**
 * An actor's key as the inspector shows it: its parts as {@link visibleName}s, joined by
 * ` / `, a `/` or `\` inside a part escaped (`\/`, `\\`) and an empty part as `""`: the key
 * `["payments / prod"]` showed as `["payments", "prod"]` did, in the list, the header and
 * the destroy dialog (an attacker probe, 2026-11-29).
 */
export function visibleKey(key: readonly string[]): string {
	return key.map(visiblePart).join(" / ");
}

function visiblePart(part: string): string {
	if (part === "") return '""';
	// Escaped before visibleName's own escapes (`\u{…}`), so a part holding the text `\u{43e}`
	// shows as `\\u{43e}`, not as an escaped Cyrillic letter.
	return visibleName(part.replace(/[\\/]/g, (char) => `\\${char}`));
}

/**
 * A key typed as the inspector shows keys ({@link visibleKey}): parts split at each `/` not
 * escaped, `\/` and `\\` read as `/` and `\`, each part trimmed, `""` an empty part. The
 * create dialog split at every `/`, so a key shown as `payments \/ prod` could not be typed
 * back (a walkthrough, 2026-11-29).
 */
export function parseKeyText(text: string): string[] {
	if (text.trim() === "") return [];
	const parts: string[] = [];
	let part = "";
	for (let i = 0; i < text.length; i++) {
		const char = text[i] as string;
		const next = text[i + 1];
		if (char === "\\" && (next === "/" || next === "\\")) {
			part += next;
			i++;
		} else if (char === "/") {
			parts.push(part);
			part = "";
		} else part += char;
	}
	parts.push(part);
	return parts.map((typed) => {
		const trimmed = typed.trim();
		return trimmed === '""' ? "" : trimmed;
	});
}
