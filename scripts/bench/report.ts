/** The shape every benchmark returns, and how it is printed. */
export interface BenchTarget {
  /** e.g. ">= 0.8" */
  target: string;
  met: boolean;
}

export interface BenchReport {
  /** Headline figures, flat: the README quotes these. */
  figures: Record<string, number | string>;
  /** Which figures have targets, and whether this run met them. */
  targets?: Record<string, BenchTarget>;
  /** Tables of detail rows (e.g. latency per tier), printed as tables. */
  tables?: Record<string, Record<string, number | string>[]>;
  notes?: string[];
}

function fmt(value: number | string): string {
  if (typeof value === "string") return value;
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

export function printReport(report: BenchReport & { benchmark: string }): void {
  console.log(`\n== ${report.benchmark} ==`);
  const rows = Object.entries(report.figures).map(([name, value]) => {
    const t = report.targets?.[name];
    return { figure: name, value: fmt(value), target: t?.target ?? "", met: t ? (t.met ? "yes" : "NO") : "" };
  });
  console.table(rows);
  for (const [title, table] of Object.entries(report.tables ?? {})) {
    console.log(`\n${title}`);
    console.table(table.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, fmt(v)]))));
  }
  for (const note of report.notes ?? []) console.log(`note: ${note}`);
}
