import { afterAll, beforeAll } from "vitest";
import { postgresDriver } from "../../src/index.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
} from "../helpers/postgres.js";
import { describeDatabaseSuite } from "./database-suite.js";

beforeAll(assertPostgresReachable);
const schemas: string[] = [];
afterAll(async () => {
	for (const schema of schemas) await dropSchema(schema);
	await closeAdmin();
});

describeDatabaseSuite("postgres", () => {
	const schema = freshSchema();
	schemas.push(schema);
	return postgresDriver({ url: POSTGRES_URL, schema, maxConnections: 4 });
});
