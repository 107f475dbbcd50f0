/** Tenon's version, as `/metadata`, `/health` and `tenon_build_info` report it (package.json's). */
export const TENON_VERSION = "0.1.0";
