// `npm run db:generate -w tenon-examples` regenerates ./drizzle from schema.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
	dialect: "sqlite",
	schema: "./chat-history/schema.ts",
	out: "./chat-history/drizzle",
});
