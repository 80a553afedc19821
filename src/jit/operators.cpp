// operators.cpp - the operator, cast and function tables of operators.h.
#include "operators.h"

#include "runtime_api.h"

namespace memopt {
namespace native {
namespace {

bool IsDateTime(Type t) {
  return t == Type::kDate || t == Type::kTimestamp || t == Type::kTimestampTz;
}
bool IsComparison(const std::string &op) {
  return op == "=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=";
}

// The common type of two dates / timestamps: the later in date ->
// timestamp -> timestamptz.
Type CommonDateTime(Type a, Type b) {
  if (a == Type::kTimestampTz || b == Type::kTimestampTz) return Type::kTimestampTz;
  if (a == Type::kTimestamp || b == Type::kTimestamp) return Type::kTimestamp;
  return Type::kDate;
}

bool Match(OperatorMatch *match, Type left, Type right, Type result, int function,
           bool compare = false, bool swap = false) {
  match->left = left;
  match->right = right;
  match->result = result;
  match->function = function;
  match->compare = compare;
  match->swap = swap;
  return true;
}

bool NumericOperator(const std::string &op, Type left, Type right, OperatorMatch *match) {
  if (IsFloat(left) || IsFloat(right)) {  // numeric with a float: float8
    Type result = IsComparison(op) ? Type::kBool : Type::kFloat8;
    if (op == "%") return false;
    return Match(match, Type::kFloat8, Type::kFloat8, result, -1);
  }
  if (IsComparison(op))
    return Match(match, Type::kNumeric, Type::kNumeric, Type::kBool, MEMOPT_FN_NUMERIC_CMP, true);
  int function = op == "+"   ? MEMOPT_FN_NUMERIC_ADD
                 : op == "-" ? MEMOPT_FN_NUMERIC_SUB
                 : op == "*" ? MEMOPT_FN_NUMERIC_MUL
                 : op == "/" ? MEMOPT_FN_NUMERIC_DIV
                 : op == "%" ? MEMOPT_FN_NUMERIC_MOD
                             : -1;
  if (function < 0) return false;
  return Match(match, Type::kNumeric, Type::kNumeric, Type::kNumeric, function);
}

// date +/- integer, date - date, date / timestamp / time +/- interval,
// timestamp - timestamp.
bool DateTimeArithmetic(const std::string &op, Type left, Type right, OperatorMatch *match) {
  bool plus = op == "+";
  if (!plus && op != "-") return false;
  if (left == Type::kDate && (right == Type::kInt2 || right == Type::kInt4))
    return Match(match, Type::kDate, Type::kInt4, Type::kDate,
                 plus ? MEMOPT_FN_DATE_PLUS_INT4 : MEMOPT_FN_DATE_MINUS_INT4);
  if (plus && right == Type::kDate && (left == Type::kInt2 || left == Type::kInt4))
    return Match(match, Type::kInt4, Type::kDate, Type::kDate, MEMOPT_FN_DATE_PLUS_INT4, false,
                 true);
  if (!plus && left == Type::kDate && right == Type::kDate)
    return Match(match, Type::kDate, Type::kDate, Type::kInt4, MEMOPT_FN_DATE_MINUS_DATE);
  if (!plus && IsDateTime(left) && IsDateTime(right)) {  // a date becomes a timestamp
    Type common = CommonDateTime(CommonDateTime(left, right), Type::kTimestamp);
    return Match(match, common, common, Type::kInterval,
                 common == Type::kTimestamp ? MEMOPT_FN_TIMESTAMP_MINUS_TIMESTAMP
                                            : MEMOPT_FN_TIMESTAMPTZ_MINUS_TIMESTAMPTZ);
  }
  if (!plus && left == Type::kTime && right == Type::kTime)
    return Match(match, left, right, Type::kInterval, MEMOPT_FN_TIME_MINUS_TIME);
  bool swap = plus && left == Type::kInterval && right != Type::kInterval;
  Type base = swap ? right : left;
  if ((swap ? left : right) != Type::kInterval) return false;
  int function;
  Type result = base;
  switch (base) {
    case Type::kDate:
      function = plus ? MEMOPT_FN_DATE_PLUS_INTERVAL : MEMOPT_FN_DATE_MINUS_INTERVAL;
      result = Type::kTimestamp;
      break;
    case Type::kTimestamp:
      function = plus ? MEMOPT_FN_TIMESTAMP_PLUS_INTERVAL : MEMOPT_FN_TIMESTAMP_MINUS_INTERVAL;
      break;
    case Type::kTimestampTz:
      function = plus ? MEMOPT_FN_TIMESTAMPTZ_PLUS_INTERVAL : MEMOPT_FN_TIMESTAMPTZ_MINUS_INTERVAL;
      break;
    case Type::kTime:
      function = plus ? MEMOPT_FN_TIME_PLUS_INTERVAL : MEMOPT_FN_TIME_MINUS_INTERVAL;
      break;
    case Type::kInterval:
      function = plus ? MEMOPT_FN_INTERVAL_ADD : MEMOPT_FN_INTERVAL_SUB;
      break;
    default:
      return false;
  }
  return Match(match, swap ? Type::kInterval : base, swap ? base : Type::kInterval, result,
               function, false, swap);
}

// interval * number, number * interval, interval / number.
bool IntervalScaling(const std::string &op, Type left, Type right, OperatorMatch *match) {
  bool number_left = IsInteger(left) || IsFloat(left) || left == Type::kNumeric;
  bool number_right = IsInteger(right) || IsFloat(right) || right == Type::kNumeric;
  if (op == "*" && left == Type::kInterval && number_right)
    return Match(match, Type::kInterval, Type::kFloat8, Type::kInterval, MEMOPT_FN_INTERVAL_MUL);
  if (op == "*" && right == Type::kInterval && number_left)
    return Match(match, Type::kFloat8, Type::kInterval, Type::kInterval, MEMOPT_FN_INTERVAL_MUL,
                 false, true);
  if (op == "/" && left == Type::kInterval && number_right)
    return Match(match, Type::kInterval, Type::kFloat8, Type::kInterval, MEMOPT_FN_INTERVAL_DIV);
  return false;
}

struct FunctionEntry {
  const char *name;
  std::vector<Type> params;
  Type result;
  int function;
};

// PostgreSQL's signatures (pg_proc) of the functions the language has;
// overloads of one name are tried in order.
const std::vector<FunctionEntry> &Functions() {
  static const std::vector<FunctionEntry> functions = {
      {"round", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_ROUND},
      {"round", {Type::kNumeric, Type::kInt4}, Type::kNumeric, MEMOPT_FN_NUMERIC_ROUND},
      {"round", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_ROUND},
      {"trunc", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_TRUNC},
      {"trunc", {Type::kNumeric, Type::kInt4}, Type::kNumeric, MEMOPT_FN_NUMERIC_TRUNC},
      {"trunc", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_TRUNC},
      {"ceil", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_CEIL},
      {"ceil", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_CEIL},
      {"ceiling", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_CEIL},
      {"ceiling", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_CEIL},
      {"floor", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_FLOOR},
      {"floor", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_FLOOR},
      {"sqrt", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_SQRT},
      {"sqrt", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_SQRT},
      {"power", {Type::kNumeric, Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_POWER},
      {"power", {Type::kFloat8, Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_POWER},
      {"sign", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_SIGN},
      {"sign", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_SIGN},
      {"substr", {Type::kText, Type::kInt4, Type::kInt4}, Type::kText, MEMOPT_FN_TEXT_SUBSTR},
      {"substr", {Type::kText, Type::kInt4}, Type::kText, MEMOPT_FN_TEXT_SUBSTR_FROM},
      {"substring", {Type::kText, Type::kInt4, Type::kInt4}, Type::kText, MEMOPT_FN_TEXT_SUBSTR},
      {"substring", {Type::kText, Type::kInt4}, Type::kText, MEMOPT_FN_TEXT_SUBSTR_FROM},
      {"strpos", {Type::kText, Type::kText}, Type::kInt4, MEMOPT_FN_TEXT_POSITION},
      {"replace", {Type::kText, Type::kText, Type::kText}, Type::kText, MEMOPT_FN_TEXT_REPLACE},
      {"like_escape", {Type::kText, Type::kText}, Type::kText, MEMOPT_FN_LIKE_ESCAPE},
      {"btrim", {Type::kText}, Type::kText, MEMOPT_FN_TEXT_BTRIM},
      {"trim", {Type::kText}, Type::kText, MEMOPT_FN_TEXT_BTRIM},
      {"ltrim", {Type::kText}, Type::kText, MEMOPT_FN_TEXT_LTRIM},
      {"rtrim", {Type::kText}, Type::kText, MEMOPT_FN_TEXT_RTRIM},
      {"left", {Type::kText, Type::kInt4}, Type::kText, MEMOPT_FN_TEXT_LEFT},
      {"right", {Type::kText, Type::kInt4}, Type::kText, MEMOPT_FN_TEXT_RIGHT},
      {"starts_with", {Type::kText, Type::kText}, Type::kBool, MEMOPT_FN_TEXT_STARTS_WITH},
      {"split_part",
       {Type::kText, Type::kText, Type::kInt4},
       Type::kText,
       MEMOPT_FN_TEXT_SPLIT_PART},
      {"lpad", {Type::kText, Type::kInt4, Type::kText}, Type::kText, MEMOPT_FN_TEXT_LPAD},
      {"rpad", {Type::kText, Type::kInt4, Type::kText}, Type::kText, MEMOPT_FN_TEXT_RPAD},
      {"repeat", {Type::kText, Type::kInt4}, Type::kText, MEMOPT_FN_TEXT_REPEAT},
      {"reverse", {Type::kText}, Type::kText, MEMOPT_FN_TEXT_REVERSE},
      {"md5", {Type::kText}, Type::kText, MEMOPT_FN_TEXT_MD5},
      {"md5", {Type::kBytea}, Type::kText, MEMOPT_FN_BYTEA_MD5},
      {"initcap", {Type::kText}, Type::kText, MEMOPT_FN_TEXT_INITCAP},
      {"octet_length", {Type::kText}, Type::kInt4, MEMOPT_FN_TEXT_OCTET_LENGTH},
      {"length", {Type::kBytea}, Type::kInt4, MEMOPT_FN_BYTEA_LENGTH},
      {"octet_length", {Type::kBytea}, Type::kInt4, MEMOPT_FN_BYTEA_LENGTH},
      {"date_trunc",
       {Type::kText, Type::kTimestamp},
       Type::kTimestamp,
       MEMOPT_FN_DATE_TRUNC_TIMESTAMP},
      {"date_trunc",
       {Type::kText, Type::kTimestampTz},
       Type::kTimestampTz,
       MEMOPT_FN_DATE_TRUNC_TIMESTAMPTZ},
      {"date_part", {Type::kText, Type::kTimestamp}, Type::kFloat8, MEMOPT_FN_DATE_PART_TIMESTAMP},
      {"date_part",
       {Type::kText, Type::kTimestampTz},
       Type::kFloat8,
       MEMOPT_FN_DATE_PART_TIMESTAMPTZ},
      {"make_date", {Type::kInt4, Type::kInt4, Type::kInt4}, Type::kDate, MEMOPT_FN_MAKE_DATE},
      {"age", {Type::kTimestamp, Type::kTimestamp}, Type::kInterval, MEMOPT_FN_TIMESTAMP_AGE},
      {"age", {Type::kTimestampTz, Type::kTimestampTz}, Type::kInterval, MEMOPT_FN_TIMESTAMPTZ_AGE},
      {"to_char", {Type::kTimestamp, Type::kText}, Type::kText, MEMOPT_FN_TIMESTAMP_TO_CHAR},
      {"to_char", {Type::kTimestampTz, Type::kText}, Type::kText, MEMOPT_FN_TIMESTAMPTZ_TO_CHAR},
      {"to_char", {Type::kNumeric, Type::kText}, Type::kText, MEMOPT_FN_NUMERIC_TO_CHAR},
      {"to_char", {Type::kInt4, Type::kText}, Type::kText, MEMOPT_FN_INT4_TO_CHAR},
      {"to_char", {Type::kInt8, Type::kText}, Type::kText, MEMOPT_FN_INT8_TO_CHAR},
      {"to_char", {Type::kFloat8, Type::kText}, Type::kText, MEMOPT_FN_FLOAT8_TO_CHAR},
      {"to_date", {Type::kText, Type::kText}, Type::kDate, MEMOPT_FN_TO_DATE},
      {"to_timestamp", {Type::kText, Type::kText}, Type::kTimestampTz, MEMOPT_FN_TO_TIMESTAMP},
      {"to_number", {Type::kText, Type::kText}, Type::kNumeric, MEMOPT_FN_TO_NUMBER},
      {"gen_random_uuid", {}, Type::kUuid, MEMOPT_FN_GEN_RANDOM_UUID},
      {"char_length", {Type::kText}, Type::kInt4, MEMOPT_FN_TEXT_CHAR_LENGTH},
      {"character_length", {Type::kText}, Type::kInt4, MEMOPT_FN_TEXT_CHAR_LENGTH},
      {"exp", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_EXP},
      {"exp", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_EXP},
      {"ln", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_LN},
      {"ln", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_LN},
      {"cbrt", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_CBRT},
      {"log", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_LOG10},
      {"log", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_LOG10},
      {"log", {Type::kNumeric, Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_LOG},
      {"log10", {Type::kFloat8}, Type::kFloat8, MEMOPT_FN_FLOAT8_LOG10},
      {"log10", {Type::kNumeric}, Type::kNumeric, MEMOPT_FN_NUMERIC_LOG10},
      {"random", {}, Type::kFloat8, MEMOPT_FN_RANDOM},
      {"clock_timestamp", {}, Type::kTimestampTz, MEMOPT_FN_CLOCK_TIMESTAMP},
      {"statement_timestamp", {}, Type::kTimestampTz, MEMOPT_FN_STATEMENT_TIMESTAMP},
      // EXTRACT(field FROM x) (parser.cpp): numeric, as in PostgreSQL 14 and later.
      {"extract", {Type::kText, Type::kTimestamp}, Type::kNumeric, MEMOPT_FN_EXTRACT_TIMESTAMP},
      {"extract", {Type::kText, Type::kTimestampTz}, Type::kNumeric, MEMOPT_FN_EXTRACT_TIMESTAMPTZ},
      {"extract", {Type::kText, Type::kDate}, Type::kNumeric, MEMOPT_FN_EXTRACT_DATE},
      {"extract", {Type::kText, Type::kTime}, Type::kNumeric, MEMOPT_FN_EXTRACT_TIME},
      {"extract", {Type::kText, Type::kInterval}, Type::kNumeric, MEMOPT_FN_EXTRACT_INTERVAL},
      {"date_part", {Type::kText, Type::kTime}, Type::kFloat8, MEMOPT_FN_DATE_PART_TIME},
      {"date_part", {Type::kText, Type::kInterval}, Type::kFloat8, MEMOPT_FN_DATE_PART_INTERVAL},
  };
  return functions;
}

// How well `args` fit `params`, as PostgreSQL's function resolution ranks
// candidates: -1 not at all; else 10 per exact match plus 1 per argument
// converted to double precision, the preferred numeric type (round(5) is
// round(double precision)). A NULL fits anything.
int Fit(const std::vector<Type> &args, const std::vector<Type> &params) {
  if (args.size() != params.size()) return -1;
  int fit = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == params[i]) {
      fit += 10;
    } else if (args[i] != Type::kNull) {
      if (!ConvertsImplicitly(args[i], params[i])) return -1;
      if (params[i] == Type::kFloat8) fit += 1;
    }
  }
  return fit;
}

}  // namespace

bool IsByReference(Type type) {
  return type == Type::kText || type == Type::kNumeric || type == Type::kInterval ||
         type == Type::kUuid || type == Type::kBytea || type == Type::kBpchar;
}

bool IsComputedByPostgres(Type type) {
  return static_cast<int>(type) >= static_cast<int>(Type::kNumeric);
}

bool ConvertsImplicitly(Type from, Type to) {
  if (from == to) return true;
  if (IsInteger(from))  // integers widen, never narrow
    return to == Type::kNumeric || IsFloat(to) ||
           (IsInteger(to) && static_cast<int>(to) > static_cast<int>(from));
  if (from == Type::kNumeric) return IsFloat(to);
  if (from == Type::kDate) return to == Type::kTimestamp || to == Type::kTimestampTz;
  if (from == Type::kTimestamp) return to == Type::kTimestampTz;
  return false;
}

bool CommonType(Type a, Type b, Type *common) {
  bool number_a = IsInteger(a) || IsFloat(a) || a == Type::kNumeric;
  bool number_b = IsInteger(b) || IsFloat(b) || b == Type::kNumeric;
  if (a == b)
    *common = a;
  else if (number_a && number_b && (IsFloat(a) || IsFloat(b)))
    *common = Type::kFloat8;
  else if (number_a && number_b && (a == Type::kNumeric || b == Type::kNumeric))
    *common = Type::kNumeric;
  else if (number_a && number_b)  // integers: the wider
    *common = static_cast<int>(a) > static_cast<int>(b) ? a : b;
  else if (IsDateTime(a) && IsDateTime(b))
    *common = CommonDateTime(a, b);
  else if ((a == Type::kText && b == Type::kBpchar) || (a == Type::kBpchar && b == Type::kText))
    *common = Type::kText;
  else
    return false;
  return true;
}

int OrderFunction(Type type) {
  switch (type) {
    case Type::kNumeric:
      return MEMOPT_FN_NUMERIC_CMP;
    case Type::kInterval:
      return MEMOPT_FN_INTERVAL_CMP;
    case Type::kUuid:
      return MEMOPT_FN_UUID_CMP;
    case Type::kBytea:
      return MEMOPT_FN_BYTEA_CMP;
    case Type::kText:
      return MEMOPT_FN_TEXT_CMP;
    case Type::kBpchar:
      return MEMOPT_FN_BPCHAR_CMP;
    default:
      return -1;
  }
}

bool ResolveOperator(const std::string &op, Type left, Type right, OperatorMatch *match) {
  bool numeric_left = IsInteger(left) || IsFloat(left) || left == Type::kNumeric;
  bool numeric_right = IsInteger(right) || IsFloat(right) || right == Type::kNumeric;
  if (numeric_left && numeric_right) return NumericOperator(op, left, right, match);
  if (IsComparison(op)) {
    if ((left == Type::kBpchar) != (right == Type::kBpchar) &&
        (left == Type::kText || right == Type::kText))  // char(n) with text: as text
      return Match(match, Type::kText, Type::kText, Type::kBool, MEMOPT_FN_TEXT_CMP, true);
    if (IsDateTime(left) && IsDateTime(right)) {
      Type common = CommonDateTime(left, right);
      return Match(match, common, common, Type::kBool, -1);
    }
    if (left != right) return false;
    int order = OrderFunction(left);
    if (left == Type::kTime) return Match(match, left, right, Type::kBool, -1);
    if (order < 0) return false;
    return Match(match, left, right, Type::kBool, order, true);
  }
  if (op == "||" && left == Type::kBytea && right == Type::kBytea)
    return Match(match, left, right, Type::kBytea, MEMOPT_FN_BYTEA_CONCAT);
  return DateTimeArithmetic(op, left, right, match) || IntervalScaling(op, left, right, match);
}

bool IsPostgresFunction(const std::string &name) {
  for (const FunctionEntry &entry : Functions())
    if (name == entry.name) return true;
  return false;
}

bool ResolveFunction(const std::string &name, const std::vector<Type> &args, FunctionMatch *match) {
  const FunctionEntry *best = nullptr;
  int best_fit = -1;
  for (const FunctionEntry &entry : Functions()) {
    if (name != entry.name) continue;
    int fit = Fit(args, entry.params);
    if (fit > best_fit) {
      best = &entry;
      best_fit = fit;
    }
  }
  if (best == nullptr) return false;
  match->params = best->params;
  match->result = best->result;
  match->function = best->function;
  return true;
}

bool ResolveNegation(Type type, int *function) {
  if (type == Type::kNumeric)
    *function = MEMOPT_FN_NUMERIC_UMINUS;
  else if (type == Type::kInterval)
    *function = MEMOPT_FN_INTERVAL_UMINUS;
  else
    return false;
  return true;
}

bool ResolveCast(Type from, Type to, int *function) {
  struct Cast {
    Type from, to;
    int function;
  };
  static const Cast kCasts[] = {
      {Type::kInt2, Type::kNumeric, MEMOPT_FN_INT2_TO_NUMERIC},
      {Type::kInt4, Type::kNumeric, MEMOPT_FN_INT4_TO_NUMERIC},
      {Type::kInt8, Type::kNumeric, MEMOPT_FN_INT8_TO_NUMERIC},
      {Type::kFloat4, Type::kNumeric, MEMOPT_FN_FLOAT4_TO_NUMERIC},
      {Type::kFloat8, Type::kNumeric, MEMOPT_FN_FLOAT8_TO_NUMERIC},
      {Type::kNumeric, Type::kInt2, MEMOPT_FN_NUMERIC_TO_INT2},
      {Type::kNumeric, Type::kInt4, MEMOPT_FN_NUMERIC_TO_INT4},
      {Type::kNumeric, Type::kInt8, MEMOPT_FN_NUMERIC_TO_INT8},
      {Type::kNumeric, Type::kFloat4, MEMOPT_FN_NUMERIC_TO_FLOAT4},
      {Type::kNumeric, Type::kFloat8, MEMOPT_FN_NUMERIC_TO_FLOAT8},
      {Type::kDate, Type::kTimestamp, MEMOPT_FN_DATE_TO_TIMESTAMP},
      {Type::kDate, Type::kTimestampTz, MEMOPT_FN_DATE_TO_TIMESTAMPTZ},
      {Type::kTimestamp, Type::kDate, MEMOPT_FN_TIMESTAMP_TO_DATE},
      {Type::kTimestampTz, Type::kDate, MEMOPT_FN_TIMESTAMPTZ_TO_DATE},
      {Type::kTimestamp, Type::kTimestampTz, MEMOPT_FN_TIMESTAMP_TO_TIMESTAMPTZ},
      {Type::kTimestampTz, Type::kTimestamp, MEMOPT_FN_TIMESTAMPTZ_TO_TIMESTAMP},
      {Type::kTimestamp, Type::kTime, MEMOPT_FN_TIMESTAMP_TO_TIME},
      {Type::kTimestampTz, Type::kTime, MEMOPT_FN_TIMESTAMPTZ_TO_TIME},
      {Type::kBpchar, Type::kText, MEMOPT_FN_BPCHAR_TO_TEXT},
  };
  *function = -1;
  if (from == to) return true;
  for (const Cast &cast : kCasts)
    if (cast.from == from && cast.to == to) {
      *function = cast.function;
      return true;
    }
  return false;
}

}  // namespace native
}  // namespace memopt
