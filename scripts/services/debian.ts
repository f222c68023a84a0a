/**
 * Missing system packages: installed with apt when we are root on Debian,
 * otherwise a one-line instruction saying exactly what to install.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export class MissingPackageError extends Error {
  readonly code = "missing_package";
}

/** Something the stack needs from Debian: the packages that provide it and how to tell it is there. */
export interface DebianRequirement {
  what: string;
  packages: string[];
  present: () => boolean;
}

/** The requirements not met and the packages that meet them, for one apt-get run. */
export function installPlan(requirements: readonly DebianRequirement[]): { missing: DebianRequirement[]; packages: string[] } {
  const missing = requirements.filter((requirement) => !requirement.present());
  return { missing, packages: [...new Set(missing.flatMap((requirement) => requirement.packages))] };
}

/** How packages get installed: apt-get as root on Debian. A test passes its own. */
export interface Installer {
  canInstall(): boolean;
  run(args: string[]): void;
}

let aptUpdated = false;

export const aptGet: Installer = {
  canInstall: () => process.getuid?.() === 0 && existsSync("/etc/debian_version") && existsSync("/usr/bin/apt-get"),
  run(args) {
    if (args[0] === "update") {
      if (aptUpdated) return;
      aptUpdated = true;
    }
    execFileSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  },
};

/** Ensure every requirement is met, installing what is missing in one apt-get run when we may. */
export function ensureDebianRequirements(requirements: readonly DebianRequirement[], installer: Installer = aptGet): void {
  const { missing, packages } = installPlan(requirements);
  if (missing.length === 0) return;
  const what = missing.map((requirement) => requirement.what).join(", ");
  if (!installer.canInstall()) {
    throw new MissingPackageError(`${what} missing: install with \`apt-get install -y ${packages.join(" ")}\` (as root on Debian/Ubuntu)`);
  }
  console.log(`[services] installing ${packages.join(" ")} (apt-get)`);
  installer.run(["update", "-q"]);
  installer.run(["install", "-y", "-q", "--no-install-recommends", ...packages]);
  const still = missing.filter((requirement) => !requirement.present());
  if (still.length > 0) throw new MissingPackageError(`${still.map((r) => r.what).join(", ")} still missing after installing ${packages.join(" ")}`);
}

/** Ensure `probe()` is true, installing the Debian packages if it is not and we may. */
export function ensureDebianPackages(what: string, packages: string[], probe: () => boolean): void {
  ensureDebianRequirements([{ what, packages, present: probe }]);
}

export function which(binary: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}
