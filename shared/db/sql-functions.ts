/**
 * What the SQL analysis knows about functions and keywords a read may call.
 * A read that calls a volatile function is never cached; one that calls a function
 * in neither list (a user-defined function may write, or depend on anything) is
 * not classified with certainty, so it is not cached either.
 */

/** Results change from call to call, or the call has side effects. */
export const VOLATILE_FUNCTIONS: ReadonlySet<string> = new Set([
  "now",
  "random",
  "random_normal",
  "setseed",
  "clock_timestamp",
  "statement_timestamp",
  "transaction_timestamp",
  "timeofday",
  "nextval",
  "currval",
  "setval",
  "lastval",
  "gen_random_uuid",
  "uuid_generate_v1",
  "uuid_generate_v1mc",
  "uuid_generate_v4",
  "uuidv4",
  "uuidv7",
  "gen_random_bytes",
  "gen_salt",
  "txid_current",
  "txid_current_if_assigned",
  "txid_current_snapshot",
  "pg_current_xact_id",
  "pg_current_xact_id_if_assigned",
  "pg_current_snapshot",
  "pg_sleep",
  "pg_sleep_for",
  "pg_sleep_until",
  "pg_backend_pid",
  "pg_notify",
  "set_config",
  "pg_advisory_lock",
  "pg_advisory_lock_shared",
  "pg_advisory_unlock",
  "pg_advisory_unlock_all",
  "pg_advisory_xact_lock",
  "pg_try_advisory_lock",
  "pg_try_advisory_xact_lock",
  "pg_cancel_backend",
  "pg_terminate_backend",
  "pg_stat_reset",
  "pg_stat_statements_reset",
  "inet_client_addr",
  "inet_client_port",
  "dblink",
  "dblink_exec",
  "lo_import",
  "lo_export",
]);

/** Value keywords that read the clock (SELECT current_timestamp). */
export const VOLATILE_KEYWORDS: ReadonlySet<string> = new Set([
  "current_timestamp",
  "current_time",
  "current_date",
  "localtime",
  "localtimestamp",
]);

/** String literals Postgres turns into the current time when cast to a date/time type ('now'::timestamptz). */
export const VOLATILE_TIME_LITERALS: ReadonlySet<string> = new Set(["now", "today", "tomorrow", "yesterday"]);

/**
 * Built-ins that are immutable or stable within a statement and have no side effects:
 * a read calling only these is deterministic for given table contents.
 */
export const SAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates and window functions
  "count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "array_agg", "string_agg", "json_agg",
  "jsonb_agg", "json_object_agg", "jsonb_object_agg", "percentile_cont", "percentile_disc", "mode", "stddev",
  "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "bit_and", "bit_or", "row_number", "rank",
  "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value", "last_value", "nth_value",
  // conditionals and comparison
  "coalesce", "nullif", "greatest", "least", "exists", "any", "some", "all", "num_nonnulls", "num_nulls",
  // strings
  "lower", "upper", "length", "char_length", "character_length", "octet_length", "bit_length", "trim", "btrim",
  "ltrim", "rtrim", "lpad", "rpad", "substr", "substring", "left", "right", "replace", "concat", "concat_ws",
  "position", "strpos", "split_part", "starts_with", "initcap", "repeat", "reverse", "translate", "format",
  "md5", "sha224", "sha256", "sha384", "sha512", "encode", "decode", "regexp_replace", "regexp_match",
  "regexp_matches", "regexp_split_to_array", "regexp_split_to_table", "regexp_like", "regexp_count", "quote_ident",
  "quote_literal", "quote_nullable", "to_hex", "ascii", "chr", "string_to_array", "array_to_string", "unaccent",
  // numbers
  "abs", "ceil", "ceiling", "floor", "round", "trunc", "sign", "mod", "power", "pow", "sqrt", "cbrt", "exp", "ln",
  "log", "log10", "div", "width_bucket", "gcd", "lcm",
  // dates (all of them take their time as an argument)
  "date_trunc", "date_part", "date_bin", "extract", "age", "make_date", "make_time", "make_timestamp",
  "make_timestamptz", "make_interval", "to_timestamp", "to_date", "to_char", "to_number", "justify_days",
  "justify_hours", "justify_interval", "isfinite", "timezone",
  // arrays, ranges, sets
  "unnest", "array_length", "array_position", "array_positions", "array_remove", "array_replace", "array_append",
  "array_prepend", "array_cat", "array_dims", "array_lower", "array_upper", "cardinality", "generate_series",
  "generate_subscripts", "lower_inf", "upper_inf", "isempty", "range_merge",
  // json
  "to_json", "to_jsonb", "row_to_json", "json_build_object", "jsonb_build_object", "json_build_array",
  "jsonb_build_array", "json_object", "jsonb_object", "json_array_length", "jsonb_array_length",
  "json_array_elements", "jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text",
  "json_each", "jsonb_each", "json_each_text", "jsonb_each_text", "json_extract_path", "jsonb_extract_path",
  "json_extract_path_text", "jsonb_extract_path_text", "json_object_keys", "jsonb_object_keys", "json_typeof",
  "jsonb_typeof", "jsonb_set", "jsonb_insert", "jsonb_strip_nulls", "json_strip_nulls", "jsonb_pretty",
  "jsonb_path_query", "jsonb_path_query_array", "jsonb_path_query_first", "jsonb_path_exists", "jsonb_path_match",
  "json_populate_record", "jsonb_populate_record", "json_to_record", "jsonb_to_record", "json_to_recordset",
  "jsonb_to_recordset",
  // text search
  "to_tsvector", "to_tsquery", "plainto_tsquery", "phraseto_tsquery", "websearch_to_tsquery", "ts_rank",
  "ts_rank_cd", "ts_headline",
  // misc
  "row", "hashtext", "pg_column_size", "pg_typeof",
]);
