// native_functions.cpp - memopt_rt_apply: the PostgreSQL functions behind
// the operators, casts and functions of numeric, date, time, timestamp,
// timestamptz, interval, uuid and bytea in natively compiled code
// (runtime_api.h MemoptNativeFunction; operators.cpp says which is which).
//
// Generated code calls them only on non-NULL arguments, so each is a plain
// fmgr call of the builtin; its errors (numeric overflow, division by zero,
// invalid units) are PostgreSQL's own. Results live in the call's scratch
// memory, reset by generated code between statements and rows.
#include "native_internal.h"

extern "C" {
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
}

namespace {

// log(numeric) and log10(numeric), which PostgreSQL defines in SQL as
// log(10, x).
Datum NumericLog10(PG_FUNCTION_ARGS) {
  return DirectFunctionCall2(numeric_log, NumericGetDatum(int64_to_numeric(10)),
                             PG_GETARG_DATUM(0));
}

// Called with the database's default collation: text functions need one
// (others ignore it).
struct Builtin {
  PGFunction function;
  short nargs;
};

// Indexed by MemoptNativeFunction; the static_assert below keeps them in step.
const Builtin kBuiltins[] = {
    {numeric_add, 2},              // MEMOPT_FN_NUMERIC_ADD
    {numeric_sub, 2},              // MEMOPT_FN_NUMERIC_SUB
    {numeric_mul, 2},              // MEMOPT_FN_NUMERIC_MUL
    {numeric_div, 2},              // MEMOPT_FN_NUMERIC_DIV
    {numeric_mod, 2},              // MEMOPT_FN_NUMERIC_MOD
    {numeric_uminus, 1},           // MEMOPT_FN_NUMERIC_UMINUS
    {numeric_abs, 1},              // MEMOPT_FN_NUMERIC_ABS
    {numeric_round, 2},            // MEMOPT_FN_NUMERIC_ROUND
    {numeric_trunc, 2},            // MEMOPT_FN_NUMERIC_TRUNC
    {numeric_cmp, 2},              // MEMOPT_FN_NUMERIC_CMP
    {numeric, 2},                  // MEMOPT_FN_NUMERIC_TYPMOD
    {int2_numeric, 1},             // MEMOPT_FN_INT2_TO_NUMERIC
    {int4_numeric, 1},             // MEMOPT_FN_INT4_TO_NUMERIC
    {int8_numeric, 1},             // MEMOPT_FN_INT8_TO_NUMERIC
    {float4_numeric, 1},           // MEMOPT_FN_FLOAT4_TO_NUMERIC
    {float8_numeric, 1},           // MEMOPT_FN_FLOAT8_TO_NUMERIC
    {numeric_int2, 1},             // MEMOPT_FN_NUMERIC_TO_INT2
    {numeric_int4, 1},             // MEMOPT_FN_NUMERIC_TO_INT4
    {numeric_int8, 1},             // MEMOPT_FN_NUMERIC_TO_INT8
    {numeric_float4, 1},           // MEMOPT_FN_NUMERIC_TO_FLOAT4
    {numeric_float8, 1},           // MEMOPT_FN_NUMERIC_TO_FLOAT8
    {date_pli, 2},                 // MEMOPT_FN_DATE_PLUS_INT4
    {date_mii, 2},                 // MEMOPT_FN_DATE_MINUS_INT4
    {date_mi, 2},                  // MEMOPT_FN_DATE_MINUS_DATE
    {date_pl_interval, 2},         // MEMOPT_FN_DATE_PLUS_INTERVAL
    {date_mi_interval, 2},         // MEMOPT_FN_DATE_MINUS_INTERVAL
    {timestamp_pl_interval, 2},    // MEMOPT_FN_TIMESTAMP_PLUS_INTERVAL
    {timestamp_mi_interval, 2},    // MEMOPT_FN_TIMESTAMP_MINUS_INTERVAL
    {timestamp_mi, 2},             // MEMOPT_FN_TIMESTAMP_MINUS_TIMESTAMP
    {timestamptz_pl_interval, 2},  // MEMOPT_FN_TIMESTAMPTZ_PLUS_INTERVAL
    {timestamptz_mi_interval, 2},  // MEMOPT_FN_TIMESTAMPTZ_MINUS_INTERVAL
    {timestamp_mi, 2},             // MEMOPT_FN_TIMESTAMPTZ_MINUS_TIMESTAMPTZ
    {time_pl_interval, 2},         // MEMOPT_FN_TIME_PLUS_INTERVAL
    {time_mi_interval, 2},         // MEMOPT_FN_TIME_MINUS_INTERVAL
    {time_mi_time, 2},             // MEMOPT_FN_TIME_MINUS_TIME
    {interval_pl, 2},              // MEMOPT_FN_INTERVAL_ADD
    {interval_mi, 2},              // MEMOPT_FN_INTERVAL_SUB
    {interval_um, 1},              // MEMOPT_FN_INTERVAL_UMINUS
    {interval_mul, 2},             // MEMOPT_FN_INTERVAL_MUL
    {interval_div, 2},             // MEMOPT_FN_INTERVAL_DIV
    {interval_cmp, 2},             // MEMOPT_FN_INTERVAL_CMP
    {date_timestamp, 1},           // MEMOPT_FN_DATE_TO_TIMESTAMP
    {date_timestamptz, 1},         // MEMOPT_FN_DATE_TO_TIMESTAMPTZ
    {timestamp_date, 1},           // MEMOPT_FN_TIMESTAMP_TO_DATE
    {timestamptz_date, 1},         // MEMOPT_FN_TIMESTAMPTZ_TO_DATE
    {timestamp_timestamptz, 1},    // MEMOPT_FN_TIMESTAMP_TO_TIMESTAMPTZ
    {timestamptz_timestamp, 1},    // MEMOPT_FN_TIMESTAMPTZ_TO_TIMESTAMP
    {timestamp_time, 1},           // MEMOPT_FN_TIMESTAMP_TO_TIME
    {timestamptz_time, 1},         // MEMOPT_FN_TIMESTAMPTZ_TO_TIME
    {uuid_cmp, 2},                 // MEMOPT_FN_UUID_CMP
    {byteacmp, 2},                 // MEMOPT_FN_BYTEA_CMP
    {byteacat, 2},                 // MEMOPT_FN_BYTEA_CONCAT
    {byteaoctetlen, 1},            // MEMOPT_FN_BYTEA_LENGTH
    {now, 0},                      // MEMOPT_FN_NOW
    {timestamp_trunc, 2},          // MEMOPT_FN_DATE_TRUNC_TIMESTAMP
    {timestamptz_trunc, 2},        // MEMOPT_FN_DATE_TRUNC_TIMESTAMPTZ
    {timestamp_part, 2},           // MEMOPT_FN_DATE_PART_TIMESTAMP
    {timestamptz_part, 2},         // MEMOPT_FN_DATE_PART_TIMESTAMPTZ
    {bttextcmp, 2},                // MEMOPT_FN_TEXT_CMP
    {numeric_ceil, 1},             // MEMOPT_FN_NUMERIC_CEIL
    {numeric_floor, 1},            // MEMOPT_FN_NUMERIC_FLOOR
    {numeric_sqrt, 1},             // MEMOPT_FN_NUMERIC_SQRT
    {numeric_power, 2},            // MEMOPT_FN_NUMERIC_POWER
    {numeric_sign, 1},             // MEMOPT_FN_NUMERIC_SIGN
    {dround, 1},                   // MEMOPT_FN_FLOAT8_ROUND
    {dtrunc, 1},                   // MEMOPT_FN_FLOAT8_TRUNC
    {dceil, 1},                    // MEMOPT_FN_FLOAT8_CEIL
    {dfloor, 1},                   // MEMOPT_FN_FLOAT8_FLOOR
    {dsqrt, 1},                    // MEMOPT_FN_FLOAT8_SQRT
    {dpow, 2},                     // MEMOPT_FN_FLOAT8_POWER
    {dsign, 1},                    // MEMOPT_FN_FLOAT8_SIGN
    {text_substr, 3},              // MEMOPT_FN_TEXT_SUBSTR
    {text_substr_no_len, 2},       // MEMOPT_FN_TEXT_SUBSTR_FROM
    {textpos, 2},                  // MEMOPT_FN_TEXT_POSITION
    {replace_text, 3},             // MEMOPT_FN_TEXT_REPLACE
    {btrim1, 1},                   // MEMOPT_FN_TEXT_BTRIM
    {ltrim1, 1},                   // MEMOPT_FN_TEXT_LTRIM
    {rtrim1, 1},                   // MEMOPT_FN_TEXT_RTRIM
    {text_left, 2},                // MEMOPT_FN_TEXT_LEFT
    {text_right, 2},               // MEMOPT_FN_TEXT_RIGHT
    {text_starts_with, 2},         // MEMOPT_FN_TEXT_STARTS_WITH
    {split_part, 3},               // MEMOPT_FN_TEXT_SPLIT_PART
    {lpad, 3},                     // MEMOPT_FN_TEXT_LPAD
    {rpad, 3},                     // MEMOPT_FN_TEXT_RPAD
    {repeat, 2},                   // MEMOPT_FN_TEXT_REPEAT
    {text_reverse, 1},             // MEMOPT_FN_TEXT_REVERSE
    {md5_text, 1},                 // MEMOPT_FN_TEXT_MD5
    {initcap, 1},                  // MEMOPT_FN_TEXT_INITCAP
    {textoctetlen, 1},             // MEMOPT_FN_TEXT_OCTET_LENGTH
    {md5_bytea, 1},                // MEMOPT_FN_BYTEA_MD5
    {make_date, 3},                // MEMOPT_FN_MAKE_DATE
    {timestamp_age, 2},            // MEMOPT_FN_TIMESTAMP_AGE
    {timestamptz_age, 2},          // MEMOPT_FN_TIMESTAMPTZ_AGE
    {timestamp_to_char, 2},        // MEMOPT_FN_TIMESTAMP_TO_CHAR
    {timestamptz_to_char, 2},      // MEMOPT_FN_TIMESTAMPTZ_TO_CHAR
    {numeric_to_char, 2},          // MEMOPT_FN_NUMERIC_TO_CHAR
    {int4_to_char, 2},             // MEMOPT_FN_INT4_TO_CHAR
    {int8_to_char, 2},             // MEMOPT_FN_INT8_TO_CHAR
    {float8_to_char, 2},           // MEMOPT_FN_FLOAT8_TO_CHAR
    {to_date, 2},                  // MEMOPT_FN_TO_DATE
    {to_timestamp, 2},             // MEMOPT_FN_TO_TIMESTAMP
    {numeric_to_number, 2},        // MEMOPT_FN_TO_NUMBER
    {gen_random_uuid, 0},          // MEMOPT_FN_GEN_RANDOM_UUID
    {varchar, 3},                  // MEMOPT_FN_VARCHAR_TYPMOD
    {bpchar, 3},                   // MEMOPT_FN_BPCHAR_TYPMOD
    {bpcharcmp, 2},                // MEMOPT_FN_BPCHAR_CMP
    {rtrim1, 1},                   // MEMOPT_FN_BPCHAR_TO_TEXT
    {bpcharlen, 1},                // MEMOPT_FN_BPCHAR_LENGTH
    {time_scale, 2},               // MEMOPT_FN_TIME_TYPMOD
    {timestamp_scale, 2},          // MEMOPT_FN_TIMESTAMP_TYPMOD
    {timestamptz_scale, 2},        // MEMOPT_FN_TIMESTAMPTZ_TYPMOD
    {interval_scale, 2},           // MEMOPT_FN_INTERVAL_TYPMOD
    {textlike, 2},                 // MEMOPT_FN_TEXT_LIKE
    {texticlike, 2},               // MEMOPT_FN_TEXT_ILIKE
    {like_escape, 2},              // MEMOPT_FN_LIKE_ESCAPE
    {textlen, 1},                  // MEMOPT_FN_TEXT_CHAR_LENGTH
    {dexp, 1},                     // MEMOPT_FN_FLOAT8_EXP
    {numeric_exp, 1},              // MEMOPT_FN_NUMERIC_EXP
    {dlog1, 1},                    // MEMOPT_FN_FLOAT8_LN
    {numeric_ln, 1},               // MEMOPT_FN_NUMERIC_LN
    {dcbrt, 1},                    // MEMOPT_FN_FLOAT8_CBRT
    {drandom, 0},                  // MEMOPT_FN_RANDOM
    {clock_timestamp, 0},          // MEMOPT_FN_CLOCK_TIMESTAMP
    {statement_timestamp, 0},      // MEMOPT_FN_STATEMENT_TIMESTAMP
    {extract_timestamp, 2},        // MEMOPT_FN_EXTRACT_TIMESTAMP
    {extract_timestamptz, 2},      // MEMOPT_FN_EXTRACT_TIMESTAMPTZ
    {extract_date, 2},             // MEMOPT_FN_EXTRACT_DATE
    {extract_time, 2},             // MEMOPT_FN_EXTRACT_TIME
    {extract_interval, 2},         // MEMOPT_FN_EXTRACT_INTERVAL
    {time_part, 2},                // MEMOPT_FN_DATE_PART_TIME
    {interval_part, 2},            // MEMOPT_FN_DATE_PART_INTERVAL
    {dlog10, 1},                   // MEMOPT_FN_FLOAT8_LOG10
    {NumericLog10, 1},             // MEMOPT_FN_NUMERIC_LOG10
    {numeric_log, 2},              // MEMOPT_FN_NUMERIC_LOG
};
static_assert(sizeof(kBuiltins) / sizeof(kBuiltins[0]) == MEMOPT_FN_COUNT,
              "one builtin per MemoptNativeFunction");

}  // namespace

extern "C" uint64_t memopt_rt_apply(MemoptNativeCall *call, int32_t function, uint64_t a,
                                    uint64_t b, uint64_t c) {
  if (function < 0 || function >= MEMOPT_FN_COUNT)
    elog(ERROR, "unknown native runtime function %d", function);
  const Builtin &builtin = kBuiltins[function];
  MemoryContext old = MemoryContextSwitchTo(memopt_native_call_scratch(call));
  LOCAL_FCINFO(fcinfo, 3);
  InitFunctionCallInfoData(*fcinfo, nullptr, builtin.nargs, DEFAULT_COLLATION_OID, nullptr,
                           nullptr);
  const uint64_t args[3] = {a, b, c};
  for (int i = 0; i < 3; ++i) {
    fcinfo->args[i].value = static_cast<Datum>(args[i]);
    fcinfo->args[i].isnull = false;
  }
  Datum result = builtin.function(fcinfo);
  if (fcinfo->isnull) elog(ERROR, "native runtime function %d returned NULL", function);
  MemoryContextSwitchTo(old);
  return static_cast<uint64_t>(result);
}
