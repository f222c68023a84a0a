/** The ClickHouse migrations, in the order they apply. Append only; never edit an applied one. */
import type { Migration } from "../../db/migration-types.ts";
import { requestEvents } from "./0001_request_events.ts";
import { eventTables } from "./0002_event_tables.ts";
import { rollups } from "./0003_rollups.ts";
import { indexAdvisorRunEvents } from "./0004_index_advisor_runs.ts";
import { requestRollupDay } from "./0005_request_rollup_day.ts";
import { requestTotals } from "./0006_request_totals.ts";
import { insertDeduplication } from "./0007_insert_deduplication.ts";

export const clickHouseMigrations: readonly Migration[] = [requestEvents, eventTables, rollups, indexAdvisorRunEvents, requestRollupDay, requestTotals, insertDeduplication];
