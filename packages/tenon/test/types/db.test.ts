import { eq } from "drizzle-orm";
import { describe, expectTypeOf, it } from "vitest";
import { db as drizzleDb, integer, sqliteTable, text } from "../../src/db/drizzle/index.js";
import { db, type Row, type SqlDatabase } from "../../src/db/index.js";
import { actor } from "../../src/index.js";
import { workflow } from "../../src/workflow/index.js";

const notes = sqliteTable("notes", {
	id: integer("id").primaryKey(),
	body: text("body").notNull(),
});

describe("database types", () => {
	it("types c.db from the db option", () => {
		actor({
			db: db(),
			actions: {
				raw: async (c) => {
					expectTypeOf(c.db).toEqualTypeOf<SqlDatabase>();
					expectTypeOf(await c.db.execute("SELECT 1")).toEqualTypeOf<Row[]>();
					const typed = await c.db.execute<{ id: number }>("SELECT id FROM t WHERE id = ?", 1);
					expectTypeOf(typed[0]?.id).toEqualTypeOf<number | undefined>();
					await c.db.execute("SELECT :a", { a: 1 });
					// @ts-expect-error parameters are SQL values
					await c.db.execute("SELECT ?", { nested: { no: true } });
				},
			},
			run: workflow(async (ctx) => {
				await ctx.step("x", async (c) => {
					expectTypeOf(c.db).toEqualTypeOf<SqlDatabase>();
					expectTypeOf(ctx.db).toEqualTypeOf<SqlDatabase>();
				});
			}),
		});
		actor({
			db: drizzleDb({ schema: { notes } }),
			actions: {
				orm: async (c) => {
					const rows = await c.db.select().from(notes).where(eq(notes.id, 1));
					expectTypeOf(rows).toEqualTypeOf<{ id: number; body: string }[]>();
					expectTypeOf(await c.db.execute("SELECT 1")).toEqualTypeOf<Row[]>();
				},
			},
		});
		actor({
			state: {},
			actions: {
				none: (c) => {
					expectTypeOf(c.db).toEqualTypeOf<undefined>();
				},
			},
		});
	});
});
