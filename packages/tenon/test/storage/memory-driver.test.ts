import {
	describeAlarmConformance,
	describeDirectoryConformance,
	describeStoreConformance,
} from "tenon/test/storage-conformance";
import { memoryDriver } from "../../src/storage/drivers/memory/index.js";

const target = { createDriver: async () => memoryDriver() };

describeDirectoryConformance("memory", target);
describeStoreConformance("memory", target);
describeAlarmConformance("memory", target);
