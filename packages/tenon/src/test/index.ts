// Public entry point of `tenon/test`.

export { ManualClock } from "./manual-clock.js";
export { type SetupTestOptions, setupTest, type TestContext } from "./setup-test.js";
