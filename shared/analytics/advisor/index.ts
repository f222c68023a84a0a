/** ClickHouse index advice: read the system tables, analyse, and write the advisor's run events. */
import { analyseClickHouse, DEFAULT_CLICKHOUSE_ADVICE_OPTIONS, type ClickHouseAdvice, type ClickHouseAdviceOptions } from "./analyse.ts";
import { readClickHouseState, type SystemTableReader } from "./read.ts";

export * from "./analyse.ts";
export { readClickHouseState, type SystemTableReader } from "./read.ts";
export { queryShape } from "./sql-shape.ts";
export { advisorRunEvent, insertAdvisorRunEvent, type AdvisorRunEvent } from "./events.ts";

/**
 * Reads and analyses one database.
 *
 * @example
 * const advice = await adviseClickHouse(clickHouseExecutor(client), "netra");
 */
export async function adviseClickHouse(
  reader: SystemTableReader,
  database: string,
  options: ClickHouseAdviceOptions = DEFAULT_CLICKHOUSE_ADVICE_OPTIONS,
): Promise<ClickHouseAdvice> {
  return analyseClickHouse(await readClickHouseState(reader, database), options);
}
