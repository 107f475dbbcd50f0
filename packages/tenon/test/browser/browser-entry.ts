// Bundled for the browser by the test: exposes the client to the page.
import { createClient } from "../../src/client/index.js";

(globalThis as unknown as { tenon: unknown }).tenon = { createClient };
