import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Chat messages, newest last. */
export const messages = sqliteTable(
	"messages",
	{
		id: integer("id").primaryKey({ autoIncrement: true }),
		author: text("author").notNull(),
		body: text("body").notNull(),
		sentAt: integer("sent_at").notNull(),
	},
	(table) => [index("messages_by_author").on(table.author, table.id)],
);

export const schema = { messages };
