/** An action implementation as the runtime calls it. */
export type ActionImpl = (c: unknown, ...args: unknown[]) => unknown;

/**
 * Flattens nested action groups into a table of dotted names
 * (`{ admin: { reset } }` -> `admin.reset`), built once per definition.
 */
export function buildActionTable(
	actions: Record<string, unknown> | undefined,
): Map<string, ActionImpl> {
	const table = new Map<string, ActionImpl>();
	const visit = (group: Record<string, unknown>, prefix: string) => {
		for (const [name, value] of Object.entries(group)) {
			const full = prefix === "" ? name : `${prefix}.${name}`;
			if (typeof value === "function") table.set(full, value as ActionImpl);
			else if (typeof value === "object" && value !== null)
				visit(value as Record<string, unknown>, full);
		}
	};
	visit(actions ?? {}, "");
	return table;
}
