import { visibleText } from "./visible-key.js";

/** Pretty-printed JSON, selectable, in a scrolling block. */
export function JsonView({ value, testId }: { value: unknown; testId?: string }) {
	return (
		<pre className="json" data-testid={testId}>
			{value === undefined ? "undefined" : visibleText(JSON.stringify(value, null, 2))}
		</pre>
	);
}
