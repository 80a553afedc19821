// runtime_api.h - the functions generated code calls, and the call frame it
// receives.
//
// The glue implements them (src/pg/native_runtime.cpp); they may raise a
// PostgreSQL error, which unwinds through generated code by longjmp (the
// generated code holds no resources of its own). Values cross as Datums
// (uint64_t): by-value types as PostgreSQL stores them in a Datum, text as a
// pointer to a varlena. `stmt` numbers the statements of a routine in the
// order codegen.h's CodegenResult::statements lists them.
#pragma once

#include <cstdint>

extern "C" {

// One call of a compiled routine. Generated code addresses the fields by
// position (codegen.cpp, DeclareTypes): keep the two in step.
struct MemoptNativeCall {
  void *state;           // the glue's per-call state
  const uint64_t *args;  // argument Datums
  const bool *arg_nulls;
  uint64_t result;  // function result Datum
  bool result_null;
  int32_t line;       // line of the statement running (error context)
  uint64_t *outputs;  // OUT / INOUT parameters' final values (Routine::outputs)
  bool *output_nulls;
};

// Runtime errors that generated code detects itself.
enum MemoptNativeError : int32_t {
  MEMOPT_NATIVE_SMALLINT_RANGE = 0,
  MEMOPT_NATIVE_INTEGER_RANGE,
  MEMOPT_NATIVE_BIGINT_RANGE,
  MEMOPT_NATIVE_FLOAT_OVERFLOW,
  MEMOPT_NATIVE_FLOAT_UNDERFLOW,
  MEMOPT_NATIVE_DIVISION_BY_ZERO,
  MEMOPT_NATIVE_FOR_NULL_LOWER,
  MEMOPT_NATIVE_FOR_NULL_UPPER,
  MEMOPT_NATIVE_FOR_NULL_STEP,
  MEMOPT_NATIVE_FOR_STEP,
  MEMOPT_NATIVE_NO_RETURN,
  MEMOPT_NATIVE_NULL_VARIABLE,  // `detail` is the variable's index
  MEMOPT_NATIVE_LIMIT_NEGATIVE,
  MEMOPT_NATIVE_OFFSET_NEGATIVE,
  MEMOPT_NATIVE_SUBQUERY_ROWS,  // a scalar subquery returned more than one row
};

// Fields of the error an EXCEPTION handler caught, as text
// (memopt_rt_block_error): SQLSTATE and SQLERRM, and the items of GET
// STACKED DIAGNOSTICS. Append only, as below.
enum MemoptNativeErrorField : int32_t {
  MEMOPT_ERROR_SQLSTATE = 0,  // RETURNED_SQLSTATE
  MEMOPT_ERROR_MESSAGE,       // MESSAGE_TEXT
  MEMOPT_ERROR_DETAIL,        // PG_EXCEPTION_DETAIL
  MEMOPT_ERROR_HINT,          // PG_EXCEPTION_HINT
  MEMOPT_ERROR_CONTEXT,       // PG_EXCEPTION_CONTEXT
  MEMOPT_ERROR_SCHEMA,        // SCHEMA_NAME
  MEMOPT_ERROR_TABLE,         // TABLE_NAME
  MEMOPT_ERROR_COLUMN,        // COLUMN_NAME
  MEMOPT_ERROR_DATATYPE,      // PG_DATATYPE_NAME
  MEMOPT_ERROR_CONSTRAINT,    // CONSTRAINT_NAME
};

// PostgreSQL functions generated code calls through memopt_rt_apply, on
// arguments that are not NULL (operators.cpp says which operator, cast or
// function each one implements; native_functions.cpp maps it to the fmgr
// builtin). Append only: the numbers are compiled into object files.
enum MemoptNativeFunction : int32_t {
  MEMOPT_FN_NUMERIC_ADD = 0,
  MEMOPT_FN_NUMERIC_SUB,
  MEMOPT_FN_NUMERIC_MUL,
  MEMOPT_FN_NUMERIC_DIV,
  MEMOPT_FN_NUMERIC_MOD,
  MEMOPT_FN_NUMERIC_UMINUS,
  MEMOPT_FN_NUMERIC_ABS,
  MEMOPT_FN_NUMERIC_ROUND,  // (numeric, int4)
  MEMOPT_FN_NUMERIC_TRUNC,  // (numeric, int4)
  MEMOPT_FN_NUMERIC_CMP,
  MEMOPT_FN_NUMERIC_TYPMOD,  // (numeric, int4 typmod): numeric(p, s) of a value
  MEMOPT_FN_INT2_TO_NUMERIC,
  MEMOPT_FN_INT4_TO_NUMERIC,
  MEMOPT_FN_INT8_TO_NUMERIC,
  MEMOPT_FN_FLOAT4_TO_NUMERIC,
  MEMOPT_FN_FLOAT8_TO_NUMERIC,
  MEMOPT_FN_NUMERIC_TO_INT2,
  MEMOPT_FN_NUMERIC_TO_INT4,
  MEMOPT_FN_NUMERIC_TO_INT8,
  MEMOPT_FN_NUMERIC_TO_FLOAT4,
  MEMOPT_FN_NUMERIC_TO_FLOAT8,
  MEMOPT_FN_DATE_PLUS_INT4,
  MEMOPT_FN_DATE_MINUS_INT4,
  MEMOPT_FN_DATE_MINUS_DATE,
  MEMOPT_FN_DATE_PLUS_INTERVAL,   // -> timestamp
  MEMOPT_FN_DATE_MINUS_INTERVAL,  // -> timestamp
  MEMOPT_FN_TIMESTAMP_PLUS_INTERVAL,
  MEMOPT_FN_TIMESTAMP_MINUS_INTERVAL,
  MEMOPT_FN_TIMESTAMP_MINUS_TIMESTAMP,
  MEMOPT_FN_TIMESTAMPTZ_PLUS_INTERVAL,
  MEMOPT_FN_TIMESTAMPTZ_MINUS_INTERVAL,
  MEMOPT_FN_TIMESTAMPTZ_MINUS_TIMESTAMPTZ,
  MEMOPT_FN_TIME_PLUS_INTERVAL,
  MEMOPT_FN_TIME_MINUS_INTERVAL,
  MEMOPT_FN_TIME_MINUS_TIME,
  MEMOPT_FN_INTERVAL_ADD,
  MEMOPT_FN_INTERVAL_SUB,
  MEMOPT_FN_INTERVAL_UMINUS,
  MEMOPT_FN_INTERVAL_MUL,  // (interval, float8)
  MEMOPT_FN_INTERVAL_DIV,  // (interval, float8)
  MEMOPT_FN_INTERVAL_CMP,
  MEMOPT_FN_DATE_TO_TIMESTAMP,
  MEMOPT_FN_DATE_TO_TIMESTAMPTZ,
  MEMOPT_FN_TIMESTAMP_TO_DATE,
  MEMOPT_FN_TIMESTAMPTZ_TO_DATE,
  MEMOPT_FN_TIMESTAMP_TO_TIMESTAMPTZ,
  MEMOPT_FN_TIMESTAMPTZ_TO_TIMESTAMP,
  MEMOPT_FN_TIMESTAMP_TO_TIME,
  MEMOPT_FN_TIMESTAMPTZ_TO_TIME,
  MEMOPT_FN_UUID_CMP,
  MEMOPT_FN_BYTEA_CMP,
  MEMOPT_FN_BYTEA_CONCAT,
  MEMOPT_FN_BYTEA_LENGTH,
  MEMOPT_FN_NOW,                     // () -> timestamptz: the transaction's start
  MEMOPT_FN_DATE_TRUNC_TIMESTAMP,    // (text, timestamp)
  MEMOPT_FN_DATE_TRUNC_TIMESTAMPTZ,  // (text, timestamptz)
  MEMOPT_FN_DATE_PART_TIMESTAMP,     // (text, timestamp) -> float8
  MEMOPT_FN_DATE_PART_TIMESTAMPTZ,   // (text, timestamptz) -> float8
  MEMOPT_FN_TEXT_CMP,                // by the default collation
  MEMOPT_FN_NUMERIC_CEIL,
  MEMOPT_FN_NUMERIC_FLOOR,
  MEMOPT_FN_NUMERIC_SQRT,
  MEMOPT_FN_NUMERIC_POWER,
  MEMOPT_FN_NUMERIC_SIGN,
  MEMOPT_FN_FLOAT8_ROUND,
  MEMOPT_FN_FLOAT8_TRUNC,
  MEMOPT_FN_FLOAT8_CEIL,
  MEMOPT_FN_FLOAT8_FLOOR,
  MEMOPT_FN_FLOAT8_SQRT,
  MEMOPT_FN_FLOAT8_POWER,
  MEMOPT_FN_FLOAT8_SIGN,
  MEMOPT_FN_TEXT_SUBSTR,
  MEMOPT_FN_TEXT_SUBSTR_FROM,
  MEMOPT_FN_TEXT_POSITION,
  MEMOPT_FN_TEXT_REPLACE,
  MEMOPT_FN_TEXT_BTRIM,
  MEMOPT_FN_TEXT_LTRIM,
  MEMOPT_FN_TEXT_RTRIM,
  MEMOPT_FN_TEXT_LEFT,
  MEMOPT_FN_TEXT_RIGHT,
  MEMOPT_FN_TEXT_STARTS_WITH,
  MEMOPT_FN_TEXT_SPLIT_PART,
  MEMOPT_FN_TEXT_LPAD,
  MEMOPT_FN_TEXT_RPAD,
  MEMOPT_FN_TEXT_REPEAT,
  MEMOPT_FN_TEXT_REVERSE,
  MEMOPT_FN_TEXT_MD5,
  MEMOPT_FN_TEXT_INITCAP,
  MEMOPT_FN_TEXT_OCTET_LENGTH,
  MEMOPT_FN_BYTEA_MD5,
  MEMOPT_FN_MAKE_DATE,
  MEMOPT_FN_TIMESTAMP_AGE,
  MEMOPT_FN_TIMESTAMPTZ_AGE,
  MEMOPT_FN_TIMESTAMP_TO_CHAR,
  MEMOPT_FN_TIMESTAMPTZ_TO_CHAR,
  MEMOPT_FN_NUMERIC_TO_CHAR,
  MEMOPT_FN_INT4_TO_CHAR,
  MEMOPT_FN_INT8_TO_CHAR,
  MEMOPT_FN_FLOAT8_TO_CHAR,
  MEMOPT_FN_TO_DATE,
  MEMOPT_FN_TO_TIMESTAMP,
  MEMOPT_FN_TO_NUMBER,
  MEMOPT_FN_GEN_RANDOM_UUID,
  MEMOPT_FN_VARCHAR_TYPMOD,  // (text, int4 typmod, bool explicit): varchar(n) of a value
  MEMOPT_FN_BPCHAR_TYPMOD,   // (bpchar, int4 typmod, bool explicit): char(n) of a value
  MEMOPT_FN_BPCHAR_CMP,
  MEMOPT_FN_BPCHAR_TO_TEXT,  // trailing blanks removed
  MEMOPT_FN_BPCHAR_LENGTH,   // characters without trailing blanks
  MEMOPT_FN_TIME_TYPMOD,     // (time, int4 typmod): time(p) of a value
  MEMOPT_FN_TIMESTAMP_TYPMOD,
  MEMOPT_FN_TIMESTAMPTZ_TYPMOD,
  MEMOPT_FN_INTERVAL_TYPMOD,
  MEMOPT_FN_TEXT_LIKE,    // (text or char(n) as it is, text) -> bool
  MEMOPT_FN_TEXT_ILIKE,   // the same, case-insensitive
  MEMOPT_FN_LIKE_ESCAPE,  // (pattern, escape) -> the pattern with the default escape, a backslash
  MEMOPT_FN_TEXT_CHAR_LENGTH,
  MEMOPT_FN_FLOAT8_EXP,
  MEMOPT_FN_NUMERIC_EXP,
  MEMOPT_FN_FLOAT8_LN,
  MEMOPT_FN_NUMERIC_LN,
  MEMOPT_FN_FLOAT8_CBRT,
  MEMOPT_FN_RANDOM,  // () -> float8, volatile
  MEMOPT_FN_CLOCK_TIMESTAMP,
  MEMOPT_FN_STATEMENT_TIMESTAMP,
  MEMOPT_FN_EXTRACT_TIMESTAMP,  // (text, timestamp) -> numeric: EXTRACT(field FROM x)
  MEMOPT_FN_EXTRACT_TIMESTAMPTZ,
  MEMOPT_FN_EXTRACT_DATE,
  MEMOPT_FN_EXTRACT_TIME,
  MEMOPT_FN_EXTRACT_INTERVAL,
  MEMOPT_FN_DATE_PART_TIME,  // (text, time) -> float8
  MEMOPT_FN_DATE_PART_INTERVAL,
  MEMOPT_FN_FLOAT8_LOG10,   // log(x), log10(x)
  MEMOPT_FN_NUMERIC_LOG10,  // log(x), log10(x) of numeric: log(10, x)
  MEMOPT_FN_NUMERIC_LOG,    // log(b, x)
  MEMOPT_FN_COUNT           // not a function: how many there are
};

// Every function below is looked up by this name in generated code.
void memopt_rt_error(MemoptNativeCall *call, int32_t error, int32_t detail);
void memopt_rt_interrupt(MemoptNativeCall *call);

uint64_t memopt_rt_to_text(MemoptNativeCall *call, int32_t type, uint64_t value);
uint64_t memopt_rt_from_text(MemoptNativeCall *call, int32_t type, uint64_t text);
// Text temporaries live in scratch memory until the next reset (codegen
// resets it before each statement, loop test and row that makes some).
void memopt_rt_reset_scratch(MemoptNativeCall *call);
// An EXISTS subquery's temporaries: enter gives scratch memory of its own
// (resets until leave do not touch the statement's), leave frees it.
void memopt_rt_scratch_enter(MemoptNativeCall *call);
void memopt_rt_scratch_leave(MemoptNativeCall *call);
// A by-reference variable's new value (text, numeric, interval, uuid,
// bytea; `type` an ast.h Type): a copy of `value` the variable owns (0 when
// NULL); the old value, which it owned, is freed.
uint64_t memopt_rt_datum_assign(MemoptNativeCall *call, int32_t type, uint64_t old_value,
                                bool old_null, uint64_t value, bool value_null);
// MemoptNativeFunction `function` on a, b, c (unused ones are ignored): its
// result Datum, in scratch memory when by reference.
uint64_t memopt_rt_apply(MemoptNativeCall *call, int32_t function, uint64_t a, uint64_t b,
                         uint64_t c);
uint64_t memopt_rt_text_concat(MemoptNativeCall *call, uint64_t a, uint64_t b);
// string_agg's step: `value` (text) alone when `first`, else `joined` (a
// text this function returned, owned by the call) with the delimiter
// (unless NULL) and `value` appended, grown in place.
uint64_t memopt_rt_string_agg(MemoptNativeCall *call, uint64_t joined, bool first,
                              uint64_t delimiter, bool delimiter_null, uint64_t value);
int32_t memopt_rt_text_length(MemoptNativeCall *call, uint64_t text);
uint64_t memopt_rt_text_case(MemoptNativeCall *call, uint64_t text, int32_t upper);

// INSERT: one row; values[i] is the statement's i-th column (column_numbers).
// nulls[i] is 1 for NULL, MEMOPT_VALUE_DEFAULT for the column's default
// (DEFAULT written in VALUES or SET), else 0.
enum { MEMOPT_VALUE_DEFAULT = 2 };
void memopt_rt_insert(MemoptNativeCall *call, int32_t stmt, const uint64_t *values,
                      const uint8_t *nulls);
// End of an INSERT, UPDATE or DELETE statement (also when it wrote no
// row): its AFTER triggers fire, and later statements see its rows.
// Returns how many rows the statement wrote (PL/pgSQL's FOUND is this > 0).
int64_t memopt_rt_end_statement(MemoptNativeCall *call, int32_t stmt);
// The rows of FROM item `source` of the statement (ast.h SourceRef): by its
// index with `keys` (one Datum of each index column, in the column's type,
// none NULL), or all of them. Opening an open source starts it again.
void memopt_rt_open(MemoptNativeCall *call, int32_t stmt, int32_t source, const uint64_t *keys);
// Next visible row: its Datums and nulls, by table column, valid until the
// source moves on. False at the end.
bool memopt_rt_next(MemoptNativeCall *call, int32_t stmt, int32_t source, const uint64_t **values,
                    const bool **nulls);
// Closes a source (nothing to do when it is not open).
void memopt_rt_close(MemoptNativeCall *call, int32_t stmt, int32_t source);
// A subquery in FROM (ast.h TableRef::query), item `source` of the
// statement: put keeps one of its rows (of its select list's types) for
// the item, whose open / next then read them in order, from the first at
// each open; reset forgets them (nothing to do when none are kept).
void memopt_rt_from_put(MemoptNativeCall *call, int32_t stmt, int32_t source,
                        const uint64_t *values, const bool *nulls);
void memopt_rt_from_reset(MemoptNativeCall *call, int32_t stmt, int32_t source);
// A query's sort (stage 0: GROUP BY, 1: ORDER BY; ast.h SortStage): rows go
// in, then come out in order; a row stays readable until the second next
// call after it (GROUP BY compares each row with the one before). Close
// ends the sort (nothing to do when none is running).
void memopt_rt_sort_put(MemoptNativeCall *call, int32_t stmt, int32_t stage, const uint64_t *values,
                        const bool *nulls);
bool memopt_rt_sort_next(MemoptNativeCall *call, int32_t stmt, int32_t stage,
                         const uint64_t **values, const bool **nulls);
void memopt_rt_sort_close(MemoptNativeCall *call, int32_t stmt, int32_t stage);
// The value sets of hashed IN subqueries and of long IN lists of constants
// (ast.h Expr::value_set), one per set number, of values of native type
// `type` (ast.h Type): reset empties one, add puts a value in, probe looks
// one up, by the type's default btree ordering (text by the default
// collation), as PostgreSQL's `=` compares them. Filled: whether the set
// was reset in this call. Members: its distinct values in order, valid
// until it is reset.
enum MemoptSetProbe {
  MEMOPT_SET_NOT_FOUND = 0,
  MEMOPT_SET_FOUND = 1,
  MEMOPT_SET_UNKNOWN = 2,  // the value is NULL (and the set not empty), or the set holds a NULL
};
void memopt_rt_set_reset(MemoptNativeCall *call, int32_t set, int32_t type);
void memopt_rt_set_add(MemoptNativeCall *call, int32_t set, uint64_t value, bool isnull);
void memopt_rt_set_add_all(MemoptNativeCall *call, int32_t set, const uint64_t *values,
                           int64_t count);
int32_t memopt_rt_set_probe(MemoptNativeCall *call, int32_t set, uint64_t value, bool isnull);
bool memopt_rt_set_filled(MemoptNativeCall *call, int32_t set);
const uint64_t *memopt_rt_set_members(MemoptNativeCall *call, int32_t set, int64_t *count);
// UPDATE / DELETE of the row memopt_rt_next (source 0) returned last.
void memopt_rt_update(MemoptNativeCall *call, int32_t stmt, const uint64_t *values,
                      const uint8_t *nulls);
void memopt_rt_delete(MemoptNativeCall *call, int32_t stmt);
// A call of another natively compiled routine (Routine::callees[callee]):
// its result Datum, or 0 with *result_null set.
uint64_t memopt_rt_call(MemoptNativeCall *call, int32_t callee, const uint64_t *args,
                        const bool *nulls, bool *result_null);
// SELECT without INTO in a set-returning function: one result row.
void memopt_rt_emit(MemoptNativeCall *call, int32_t stmt, const uint64_t *values,
                    const bool *nulls);
// RAISE: the statement's level, format and SQLSTATE; args already text.
void memopt_rt_raise(MemoptNativeCall *call, int32_t stmt, const uint64_t *args, const bool *nulls);

// BEGIN ... EXCEPTION ... END, the block `depth` blocks with handlers deep
// (ast.h Stmt::block_depth). Generated code calls sigsetjmp(jump_buffer, 0)
// itself (it must return into the routine's own frame), then:
//   begin   starts a subtransaction and makes jump_buffer the place errors
//           jump to;
//   end     closes the cursors and sorts of the body's statements, numbers
//           [statements[0], statements[1]), commits the subtransaction (the
//           body finished, or EXIT / RETURN left it) and restores the error
//           handler that was in place before begin;
//   catch   after an error jumped back: closes the same, rolls the
//           subtransaction back and returns the first handler whose
//           conditions match, or raises the error again when none does.
//           `conditions` holds `count` pairs (handler, SQLSTATE packed as
//           PostgreSQL's MAKE_SQLSTATE; 0 for OTHERS);
//   error   a field of the caught error (MemoptNativeErrorField) as text, an
//           empty one when the error has none (as PL/pgSQL);
//   reraise raises the caught error again (`RAISE;`);
//   done    forgets the caught error (its handler finished or was left).
void memopt_rt_block_begin(MemoptNativeCall *call, int32_t depth, void *jump_buffer);
void memopt_rt_block_end(MemoptNativeCall *call, int32_t depth, const int32_t *statements);
int32_t memopt_rt_block_catch(MemoptNativeCall *call, int32_t depth, const int32_t *conditions,
                              int32_t count, const int32_t *statements);
uint64_t memopt_rt_block_error(MemoptNativeCall *call, int32_t depth, int32_t field);
void memopt_rt_block_reraise(MemoptNativeCall *call, int32_t depth);
void memopt_rt_block_done(MemoptNativeCall *call, int32_t depth);
}
