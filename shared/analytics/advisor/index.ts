/** ClickHouse index advice: read the system tables, analyse, and write the advisor's run events. */
import { analyseClickHouse, DEFAULT_CLICKHOUSE_ADVICE_OPTIONS, type ClickHouseAdvice, type ClickHouseAdviceOptions } from "./analyse.ts";
import { readClickHouseState, type ClickHouseReader } from "./read.ts";

export * from "./analyse.ts";
export { readClickHouseState, type ClickHouseReader } from "./read.ts";
export { queryShape } from "./sql-shape.ts";
export { advisorRunEvent, insertAdvisorRunEvent, type AdvisorRunEvent } from "./events.ts";

/**
 * Reads and analyses one database.
 *
 * @example
 * const advice = await adviseClickHouse(clickHouseExecutor(client), "netra");
 */
export async function adviseClickHouse(
  reader: ClickHouseReader,
  database: string,
  options: ClickHouseAdviceOptions = DEFAULT_CLICKHOUSE_ADVICE_OPTIONS,
): Promise<ClickHouseAdvice> {
  return analyseClickHouse(await readClickHouseState(reader, database), options);
}
