// Standard Schema (https://standardschema.dev) support without a dependency:
// zod, valibot, arktype and others implement this interface.

/** One validation problem. */
export interface SchemaIssue {
	readonly message: string;
	readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** The result of validating with a Standard Schema. */
export type SchemaResult<Output> =
	| { readonly value: Output; readonly issues?: undefined }
	| { readonly issues: ReadonlyArray<SchemaIssue> };

/** A Standard Schema v1 (the `~standard` property zod, valibot and others expose). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
	readonly "~standard": {
		readonly version: 1;
		readonly vendor: string;
		readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
		readonly types?: { readonly input: Input; readonly output: Output } | undefined;
	};
}

/** True when `value` implements Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
	return typeof value === "object" && value !== null && "~standard" in value;
}

/** Issues in a JSON-friendly form for error metadata. */
export function describeIssues(
	issues: ReadonlyArray<SchemaIssue>,
): { message: string; path: string }[] {
	return issues.slice(0, 20).map((issue) => ({
		message: issue.message,
		path: (issue.path ?? [])
			.map((segment) =>
				String(typeof segment === "object" && segment !== null ? segment.key : segment),
			)
			.join("."),
	}));
}
