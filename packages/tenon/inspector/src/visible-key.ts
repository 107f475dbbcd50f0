/**
 * Code points that are not seen but change how the text around them is
 * shown: format characters (bidi embeddings, overrides and isolates,
 * zero-width joiners and spaces) and controls. An actor key is a client's
 * choice: `"\u202Edorp-stnemyap"` showed as `payments-prod`, in the list and
 * in the destroy dialog alike (an attacker probe).
 */
const HIDDEN = /[\p{Cc}\p{Cf}]/gu;

/** `text` with every hidden code point shown as `\u{…}`. */
export function visibleText(text: string): string {
	return text.replace(HIDDEN, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
}

/** An actor's key as the inspector shows it: its parts, hidden code points made visible. */
export function visibleKey(key: readonly string[]): string {
	return key.map(visibleText).join(" / ");
}
