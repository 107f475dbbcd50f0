import { memoryDriver } from "../../src/index.js";
import { describeDatabaseSuite } from "./database-suite.js";

describeDatabaseSuite("memory", () => memoryDriver());
