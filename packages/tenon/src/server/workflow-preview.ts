import {
	DEFAULT_PREVIEW_LIMITS,
	type PreviewLimits,
	previewValue,
} from "../common/value-preview.js";
import type { WorkflowHistory, WorkflowHistoryEntry } from "../workflow/types.js";

/** Errors keep more of their text than values do: a stack trace is read whole. */
const ERROR_LIMITS: PreviewLimits = {
	...DEFAULT_PREVIEW_LIMITS,
	maxString: 4_000,
	maxChars: 8_000,
};

/**
 * A workflow's history as the inspector shows it: outputs and errors as bounded previews
 * (common/value-preview.ts), each cut one marked `outputCut`. Whole, a step that returned
 * 20 MB answered 20 MB per view, and ten views held the loop 2.8 s (an attacker probe,
 * 2026-11-29); the journal itself holds them whole. `stacks`: errors keep their stack traces
 * (for the admin token; the read-only inspector token gets none: they name the server's
 * files and paths).
 */
export function previewHistory(
	history: WorkflowHistory,
	stacks: boolean,
): WorkflowHistory & { outputCut?: true } {
	const { output, error, entries, ...rest } = history;
	const errorOf = <E>(error: E): E => errorPreview(error, stacks);
	return {
		...rest,
		...outputOf(output),
		...(error === undefined ? {} : { error: errorOf(error) }),
		entries: entries.map((entry) => {
			const { output, error, rollbackError, ...rest } = entry;
			return {
				...rest,
				...outputOf(output),
				...(error === undefined ? {} : { error: errorOf(error) }),
				...(rollbackError === undefined ? {} : { rollbackError: errorOf(rollbackError) }),
			} as WorkflowHistoryEntry & { outputCut?: true };
		}),
	};
}

function outputOf(output: unknown): { output?: unknown; outputCut?: true } {
	if (output === undefined) return {};
	const preview = previewValue(output);
	return preview.truncated ? { output: preview.value, outputCut: true } : { output: preview.value };
}

/** An error record as a preview: the same shape, its long texts cut, its stack kept or not. */
function errorPreview<E>(error: E, stack: boolean): E {
	if (!stack && typeof error === "object" && error !== null && "stack" in error) {
		const { stack: _stack, ...rest } = error as Record<string, unknown>;
		return previewValue(rest, ERROR_LIMITS).value as E;
	}
	return previewValue(error, ERROR_LIMITS).value as E;
}
