// Regression (an attacker probe of the defaults, 2026-11-28): the data
// directory was 0755 and LMDB's files 0644, so any user of the machine could
// read every actor's state, and the connection params (bearer tokens among
// them) stored with it; only the commit log was 0600. Tenon's files are the
// owner's alone now, and a directory it creates is too.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { lmdbDriver } from "../../src/storage/drivers/lmdb/index.js";
import { setupTest } from "../../src/test/index.js";

const notes = actor({
	state: { text: "" },
	actions: { set: (c, text: string) => (c.state.text = text) },
});

it.skipIf(process.platform === "win32")(
	"keeps the data directory's files to their owner",
	async () => {
		const parent = mkdtempSync(join(tmpdir(), "tenon-modes-"));
		const dir = join(parent, "data");
		try {
			await using t = await setupTest(setup({ use: { notes }, logLevel: "silent" }), {
				storage: lmdbDriver({ path: dir }),
			});
			await t.client.notes.getOrCreate("a").set("secret");
			const mode = (name: string) => statSync(join(dir, name)).mode & 0o777;
			expect(statSync(dir).mode & 0o777).toBe(0o700);
			for (const file of ["data.mdb", "data.mdb-lock", "tenon.lock", "commit.log"])
				expect({ file, mode: mode(file).toString(8) }).toEqual({ file, mode: "600" });
		} finally {
			rmSync(parent, { recursive: true, force: true });
		}
	},
);
