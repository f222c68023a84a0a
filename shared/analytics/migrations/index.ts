/** The ClickHouse migrations, in the order they apply. Append only; never edit an applied one. */
import type { Migration } from "../../db/migration-types.ts";
import { requestEvents } from "./0001_request_events.ts";

export const clickHouseMigrations: readonly Migration[] = [requestEvents];
