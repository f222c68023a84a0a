/**
 * ClickHouse-shaped errors. The client recognises a failure by a non-2xx status,
 * the `X-ClickHouse-Exception-Code` header and a body matching
 * `Code: N. DB::Exception: message. (TYPE) (version V)`, so every failure this
 * endpoint reports, from the engine or its own, takes that shape.
 */

/** Codes the endpoint raises itself (numbers from ClickHouse's ErrorCodes.cpp). */
export const ErrorCode = {
  UNSUPPORTED_METHOD: 1,
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  SYNTAX_ERROR: 62,
  UNKNOWN_SETTING: 115,
  READONLY: 164,
  AUTHENTICATION_FAILED: 516,
  STD_EXCEPTION: 1001,
} as const;

type ErrorName = keyof typeof ErrorCode;

/** HTTP status per exception type, as ClickHouse's exceptionCodeToHTTPStatus maps them. */
const STATUS_BY_TYPE: ReadonlyMap<string, number> = new Map<string, number>([
  ...group(401, "REQUIRED_PASSWORD"),
  ...group(403, "UNKNOWN_USER WRONG_PASSWORD AUTHENTICATION_FAILED SET_NON_GRANTED_ROLE ACCESS_DENIED"),
  ...group(
    400,
    "BAD_ARGUMENTS CANNOT_COMPILE_REGEXP CANNOT_PARSE_TEXT CANNOT_PARSE_ESCAPE_SEQUENCE CANNOT_PARSE_QUOTED_STRING " +
      "CANNOT_PARSE_DATE CANNOT_PARSE_DATETIME CANNOT_PARSE_NUMBER CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING " +
      "CANNOT_PARSE_IPV4 CANNOT_PARSE_IPV6 CANNOT_PARSE_INPUT_ASSERTION_FAILED CANNOT_PARSE_UUID DUPLICATE_COLUMN " +
      "ILLEGAL_COLUMN UNKNOWN_ELEMENT_IN_AST UNKNOWN_TYPE_OF_AST_NODE THERE_IS_NO_COLUMN TOO_DEEP_AST TOO_BIG_AST " +
      "UNEXPECTED_AST_STRUCTURE SYNTAX_ERROR INCORRECT_DATA TYPE_MISMATCH VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
  ),
  ...group(
    404,
    "UNKNOWN_TABLE UNKNOWN_FUNCTION UNKNOWN_IDENTIFIER UNKNOWN_TYPE UNKNOWN_STORAGE UNKNOWN_DATABASE UNKNOWN_SETTING " +
      "UNKNOWN_DIRECTION_OF_SORTING UNKNOWN_AGGREGATE_FUNCTION UNKNOWN_FORMAT UNKNOWN_DATABASE_ENGINE " +
      "UNKNOWN_TYPE_OF_QUERY UNKNOWN_ROLE",
  ),
  ...group(408, "TIMEOUT_EXCEEDED"),
  ...group(411, "HTTP_LENGTH_REQUIRED"),
  ...group(413, "QUERY_IS_TOO_LARGE"),
  ...group(415, "UNSUPPORTED_MEDIA_TYPE"),
  ...group(501, "NOT_IMPLEMENTED"),
  ...group(503, "SOCKET_TIMEOUT CANNOT_OPEN_FILE CANNOT_SCHEDULE_TASK"),
]);

function group(status: number, types: string): Array<[string, number]> {
  return types.split(" ").map((type) => [type, status]);
}

/** A failure with a ClickHouse code and type name, rendered the way the server renders it. */
export class ClickHouseHttpError extends Error {
  readonly code: number;
  readonly type: string;

  constructor(code: number, type: string, message: string) {
    super(message);
    this.name = "ClickHouseHttpError";
    this.code = code;
    this.type = type;
  }

  /** Raise one of the endpoint's own errors by type name. */
  static of(type: ErrorName, message: string): ClickHouseHttpError {
    return new ClickHouseHttpError(ErrorCode[type], type, message);
  }

  get httpStatus(): number {
    return STATUS_BY_TYPE.get(this.type) ?? 500;
  }

  /** The response body, e.g. `Code: 60. DB::Exception: ... (UNKNOWN_TABLE) (version 26.7.2.1)`. */
  render(version: string): string {
    return `Code: ${this.code}. DB::Exception: ${this.message}. (${this.type}) (version ${version})\n`;
  }
}

const TYPE_MARKER = /\. \(((?=[A-Z0-9_]*[A-Z]{3})[A-Z0-9_]+)\)/g;
const CODE_PREFIX = /Code: (\d+)\. DB::Exception: /g;

/**
 * Turn whatever the engine threw into a ClickHouseHttpError. chdb reports
 * `Code: N. DB::Exception: text. (TYPE)`, sometimes wrapped in copies of itself
 * (`Code: 73. DB::Exception: Code: 73. DB::Exception: ...`); the innermost
 * message is the one a server would send.
 */
export function fromEngineError(error: unknown): ClickHouseHttpError {
  if (error instanceof ClickHouseHttpError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const prefixes = [...text.matchAll(CODE_PREFIX)];
  const innermost = prefixes.at(-1);
  if (innermost === undefined || innermost.index === undefined) {
    return ClickHouseHttpError.of("STD_EXCEPTION", stripTrailingDot(text.trim()) || "unknown engine error");
  }
  const code = Number(innermost[1]);
  const rest = text.slice(innermost.index + innermost[0].length);
  const marker = [...rest.matchAll(TYPE_MARKER)][0];
  if (marker === undefined || marker.index === undefined || marker[1] === undefined) {
    return new ClickHouseHttpError(code, "UNKNOWN_EXCEPTION", stripTrailingDot(rest.trim()));
  }
  const message = rest.slice(0, marker.index);
  return new ClickHouseHttpError(code, marker[1], marker[1] === "SYNTAX_ERROR" ? quoteFailedToken(message) : message);
}

/**
 * The engine names the token a syntax error failed at bare, `failed at position 1 (SELEC)`;
 * a server quotes it, `failed at position 1 ('SELEC')`. The difference matters: clients
 * take the first upper-case `(WORD)` of a message as the error type, so the bare form
 * makes @clickhouse/client-web report a mistyped keyword as the type instead of
 * SYNTAX_ERROR. `(end of query)` stays bare, as the server writes it.
 */
const FAILED_TOKEN = /(failed at position \d+ )\((?!end of query\))([^']*?)\)(?=(?: \(line \d+, col \d+\))?:)/;

function quoteFailedToken(message: string): string {
  return message.replace(FAILED_TOKEN, (_all, prefix: string, token: string) => `${prefix}('${token}')`);
}

function stripTrailingDot(text: string): string {
  return text.endsWith(".") ? text.slice(0, -1) : text;
}
