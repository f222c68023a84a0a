/**
 * The newcomer path: on a Debian machine without PostgreSQL 15, `npm run services -- up`
 * installs it (with hypopg) in one apt-get run. Checked through the install plan and a
 * recording installer, so the machine's own Postgres is never touched.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureDebianRequirements, installPlan, MissingPackageError, type Installer } from "../../scripts/services/debian.ts";
import { postgresRequirements } from "../../scripts/services/postgres.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake install root: bin/ and share/ holding the named files. */
function root(files: string[]): { bin: string; share: string } {
  const dir = mkdtempSync(join(tmpdir(), "netra-plan-"));
  dirs.push(dir);
  const bin = join(dir, "bin");
  const share = join(dir, "share");
  mkdirSync(join(share, "extension"), { recursive: true });
  mkdirSync(bin, { recursive: true });
  for (const file of files) writeFileSync(join(dir, file), "");
  return { bin, share };
}

const SERVER = ["bin/postgres", "bin/initdb", "bin/pg_ctl", "bin/psql"];

function recording(canInstall: boolean, onInstall: () => void = () => {}): Installer & { runs: string[][] } {
  const runs: string[][] = [];
  return {
    runs,
    canInstall: () => canInstall,
    run(args) {
      runs.push(args);
      if (args[0] === "install") onInstall();
    },
  };
}

describe("PostgreSQL install plan", () => {
  it("installs the server and hypopg on a machine with neither", () => {
    const { bin, share } = root([]);
    expect(installPlan(postgresRequirements(bin, share)).packages).toEqual(["postgresql-15", "postgresql-15-hypopg"]);
  });

  it("installs the server when only part of it is there (no psql)", () => {
    const { bin, share } = root(["bin/postgres", "bin/initdb", "bin/pg_ctl", "share/extension/hypopg.control"]);
    expect(installPlan(postgresRequirements(bin, share)).packages).toEqual(["postgresql-15"]);
  });

  it("installs nothing when everything is there", () => {
    const { bin, share } = root([...SERVER, "share/extension/hypopg.control"]);
    expect(installPlan(postgresRequirements(bin, share)).packages).toEqual([]);
  });

  it("runs apt-get update once and one install for every missing package, then checks again", () => {
    const { bin, share } = root([]);
    const requirements = [...postgresRequirements(bin, share), { what: "redis-server", packages: ["redis-server"], present: () => false }];
    let installed = false;
    const installer = recording(true, () => (installed = true));
    const met = requirements.map((r) => ({ ...r, present: () => installed }));
    ensureDebianRequirements(met, installer);
    expect(installer.runs).toEqual([
      ["update", "-q"],
      ["install", "-y", "-q", "--no-install-recommends", "postgresql-15", "postgresql-15-hypopg", "redis-server"],
    ]);
  });

  it("fails naming what is still missing when the install did not provide it", () => {
    const { bin, share } = root([]);
    expect(() => ensureDebianRequirements(postgresRequirements(bin, share), recording(true))).toThrow(/PostgreSQL 15 server.*still missing/);
  });

  it("prints the exact apt-get line when it may not install (not root, not Debian)", () => {
    const { bin, share } = root([]);
    const installer = recording(false);
    expect(() => ensureDebianRequirements(postgresRequirements(bin, share), installer)).toThrow(MissingPackageError);
    expect(() => ensureDebianRequirements(postgresRequirements(bin, share), installer)).toThrow("apt-get install -y postgresql-15 postgresql-15-hypopg");
    expect(installer.runs).toEqual([]);
  });

  it("finds this machine's PostgreSQL 15 where the stack looks for it", () => {
    expect(installPlan(postgresRequirements()).packages).toEqual([]);
  });
});
