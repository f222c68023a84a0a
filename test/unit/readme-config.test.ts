import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../../shared/config.ts";

// Keeps the README's configuration section true: every variable the Worker reads is documented.
const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");

describe("README configuration", () => {
  it("documents every environment variable shared/config.ts reads", () => {
    const missing = CONFIG_VARIABLES.filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
