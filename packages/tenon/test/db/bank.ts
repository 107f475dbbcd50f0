// What the transaction tests share: two accounts (a with 100, b with 0) and a
// memo table, as Drizzle migrations (a transfer must move all or nothing).
import type { DrizzleMigrations } from "../../src/db/drizzle/index.js";

/** The bank's tables, then `more` statements of a test's own. */
export function bankMigrations(...more: string[]): DrizzleMigrations {
	const statements = [
		"CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL);",
		"CREATE TABLE memo (data BLOB);",
		"INSERT INTO accounts VALUES ('a', 100), ('b', 0);",
		...more,
	];
	return {
		journal: {
			entries: [{ idx: 0, when: 1_700_000_000_000, tag: "0000_init", breakpoints: true }],
		},
		migrations: { m0000: statements.join("\n--> statement-breakpoint\n") },
	};
}
