/** Content-Type per output format, following what ClickHouse's output formats declare. */

const BINARY_FORMATS = new Set([
  "native", "rowbinary", "rowbinarywithnames", "rowbinarywithnamesandtypes", "rowbinarywithdefaults", "parquet",
  "arrow", "arrowstream", "orc", "avro", "protobuf", "protobufsingle", "protobuflist", "capnproto", "msgpack", "npy",
  "bsoneachrow", "rawblob",
]);

export const SERVER_DEFAULT_FORMAT = "TabSeparated";

export function contentTypeFor(format: string): string {
  const name = format.toLowerCase();
  if (BINARY_FORMATS.has(name)) return "application/octet-stream";
  if (name.startsWith("json") || name === "ndjson") return "application/json; charset=UTF-8";
  if (name === "csvwithnames" || name === "csvwithnamesandtypes") return "text/csv; charset=UTF-8; header=present";
  if (name === "csv") return "text/csv; charset=UTF-8; header=absent";
  if (name.startsWith("tabseparated") || name.startsWith("tsv")) return "text/tab-separated-values; charset=UTF-8";
  if (name === "xml") return "application/xml; charset=UTF-8";
  return "text/plain; charset=UTF-8";
}
