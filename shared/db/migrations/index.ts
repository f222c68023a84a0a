/** The Postgres migrations, in the order they apply. Append only; never edit an applied one. */
import type { Migration } from "../migration-types.ts";
import { netraDomain } from "./0001_netra_domain.ts";
import { extensions } from "./0002_extensions.ts";
import { indexAdvisorRuns } from "./0003_index_advisor_runs.ts";

export const postgresMigrations: readonly Migration[] = [netraDomain, extensions, indexAdvisorRuns];
