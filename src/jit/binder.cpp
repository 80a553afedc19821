// binder.cpp - resolves the names and types of a parsed body (binder.h).
//
// Errors are thrown as BindFailure inside this file and returned by Bind();
// nothing here calls PostgreSQL.
#include "binder.h"

#include "in_list.h"
#include "operators.h"
#include "runtime_api.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <new>

namespace memopt {
namespace native {
namespace {

struct BindFailure {
  SourceError error;
};

// The SQLSTATE PostgreSQL gives each kind of binding error, by the words of
// the message (every message below comes from this file).
const char *SqlStateFor(const std::string &message) {
  auto has = [&message](const char *words) { return message.find(words) != std::string::npos; };
  if (has("is ambiguous")) return "42702";
  if (has("function ") && (has("does not exist") || has("is not supported"))) return "42883";
  if (has("operator does not exist")) return "42883";
  if (has("column") && has("does not exist")) return "42703";
  if (has("missing FROM-clause")) return "42P01";
  if (has("variable") && has("does not exist")) return "42704";
  if (has("type \"") && has("not supported")) return "42704";
  if (has("not supported") || has("do not support")) return "0A000";
  if (has("must be type") || has("is of type") || has("cannot be matched")) return "42804";
  if (has("more than once") || has("multiple assignments")) return "42701";
  if (has("already declared")) return "42710";
  if (has("out of range")) return "22003";
  if (has("NOT NULL")) return "22004";
  return "42601";
}

[[noreturn]] void FailWithCode(SourcePos pos, std::string sqlstate, std::string message,
                               std::string hint) {
  throw BindFailure{SourceError{pos, std::move(message), std::move(hint), std::move(sqlstate)}};
}

[[noreturn]] void Fail(SourcePos pos, std::string message, std::string hint = "") {
  std::string sqlstate = SqlStateFor(message);
  FailWithCode(pos, std::move(sqlstate), std::move(message), std::move(hint));
}

bool IsNumeric(Type t) { return IsInteger(t) || IsFloat(t); }

// The type of `a op b` for arithmetic and comparison (PostgreSQL's operators:
// integers widen; any float with an integer, or float4 with float8, is float8).
Type CommonNumeric(Type a, Type b) {
  if (a == b) return a;
  if (IsFloat(a) || IsFloat(b)) return Type::kFloat8;
  return static_cast<uint8_t>(a) > static_cast<uint8_t>(b) ? a : b;
}

// numeric(p[, s]) as PostgreSQL stores it in a typmod; -1 when out of range.
int32_t NumericTypmod(const std::vector<int> &modifiers) {
  if (modifiers.empty() || modifiers.size() > 2) return -1;
  int precision = modifiers[0];
  int scale = modifiers.size() == 2 ? modifiers[1] : 0;
  if (precision < 1 || precision > 1000 || scale < -1000 || scale > 1000) return -1;
  return ((precision << 16) | (scale & 0x7ff)) + 4;  // + VARHDRSZ
}

bool TypeFromName(const std::string &name, const std::vector<int> &modifiers, Type *type,
                  int32_t *typmod = nullptr) {
  static const std::map<std::string, Type> kNames = {
      {"bool", Type::kBool},
      {"boolean", Type::kBool},
      {"int2", Type::kInt2},
      {"smallint", Type::kInt2},
      {"int", Type::kInt4},
      {"int4", Type::kInt4},
      {"integer", Type::kInt4},
      {"int8", Type::kInt8},
      {"bigint", Type::kInt8},
      {"float4", Type::kFloat4},
      {"real", Type::kFloat4},
      {"float8", Type::kFloat8},
      {"double precision", Type::kFloat8},
      {"float", Type::kFloat8},
      {"text", Type::kText},
      {"varchar", Type::kText},
      {"character varying", Type::kText},
      {"numeric", Type::kNumeric},
      {"decimal", Type::kNumeric},
      {"date", Type::kDate},
      {"time", Type::kTime},
      {"time without time zone", Type::kTime},
      {"timestamp", Type::kTimestamp},
      {"timestamp without time zone", Type::kTimestamp},
      {"timestamptz", Type::kTimestampTz},
      {"timestamp with time zone", Type::kTimestampTz},
      {"interval", Type::kInterval},
      {"uuid", Type::kUuid},
      {"bytea", Type::kBytea},
      {"char", Type::kBpchar},
      {"character", Type::kBpchar},
      {"bpchar", Type::kBpchar},
  };
  auto it = kNames.find(name);
  if (it == kNames.end()) return false;
  if (typmod != nullptr) *typmod = -1;
  if (modifiers.empty() && it->second == Type::kBpchar && name != "bpchar") {
    if (typmod == nullptr) return false;
    *typmod = 1 + 4;  // char is char(1)
  }
  if (!modifiers.empty()) {
    // numeric(p, s) rounds on assignment; varchar(n), timestamp(p) and the
    // like would need their own checks.
    if (typmod == nullptr) return false;
    if (it->second == Type::kNumeric) {
      *typmod = NumericTypmod(modifiers);
    } else if (name == "varchar" || name == "character varying" ||
               it->second == Type::kBpchar) {  // varchar(n), char(n)
      bool ok = modifiers.size() == 1 && modifiers[0] >= 1 && modifiers[0] <= 10485760;
      *typmod = ok ? modifiers[0] + 4 : -1;  // + VARHDRSZ
    } else if (it->second == Type::kTime || it->second == Type::kTimestamp ||
               it->second == Type::kTimestampTz || it->second == Type::kInterval) {
      bool ok = modifiers.size() == 1 && modifiers[0] >= 0 && modifiers[0] <= 6;  // precision
      *typmod = !ok                             ? -1
                : it->second == Type::kInterval ? (0x7FFF << 16) | modifiers[0]  // full range
                                                : modifiers[0];
    } else {
      return false;
    }
    if (*typmod < 0) return false;
  }
  *type = it->second;
  return true;
}

const std::map<std::string, BuiltinFunction> &BuiltinFunctions() {
  static const std::map<std::string, BuiltinFunction> functions = {
      {"abs", BuiltinFunction::kAbs},
      {"mod", BuiltinFunction::kMod},
      {"coalesce", BuiltinFunction::kCoalesce},
      {"greatest", BuiltinFunction::kGreatest},
      {"least", BuiltinFunction::kLeast},
      {"length", BuiltinFunction::kLength},
      {"lower", BuiltinFunction::kLower},
      {"upper", BuiltinFunction::kUpper},
      {"count", BuiltinFunction::kCount},
      {"sum", BuiltinFunction::kSum},
      {"min", BuiltinFunction::kMin},
      {"max", BuiltinFunction::kMax},
      {"avg", BuiltinFunction::kAvg},
      {"bool_and", BuiltinFunction::kBoolAnd},
      {"every", BuiltinFunction::kBoolAnd},
      {"bool_or", BuiltinFunction::kBoolOr},
      {"string_agg", BuiltinFunction::kStringAgg},
      {"now", BuiltinFunction::kNow},
      {"current_timestamp", BuiltinFunction::kNow},
      {"current_date", BuiltinFunction::kCurrentDate},
      {"localtimestamp", BuiltinFunction::kLocalTimestamp},
      {"concat", BuiltinFunction::kConcat},
      {"concat_ws", BuiltinFunction::kConcatWs},
  };
  return functions;
}

// Types whose values a type modifier changes on assignment (numeric(p, s),
// varchar(n), char(n), time(p), timestamp(p), timestamptz(p), interval(p)).
bool TakesTypmod(Type type) {
  switch (type) {
    case Type::kNumeric:
    case Type::kText:
    case Type::kBpchar:
    case Type::kTime:
    case Type::kTimestamp:
    case Type::kTimestampTz:
    case Type::kInterval:
      return true;
    default:
      return false;
  }
}

ExprPtr WrapCast(ExprPtr inner, Type target) {
  auto cast = std::make_unique<Expr>();
  cast->kind = ExprKind::kCast;
  cast->pos = inner->pos;
  cast->type = target;
  cast->args.push_back(std::move(inner));
  return cast;
}

class Binder {
 public:
  explicit Binder(Routine *routine) : routine_(*routine) {}

  void Run() {
    const Signature &sig = routine_.signature;
    int args = 0;
    for (size_t i = 0; i < sig.params.size(); ++i) {
      const ParamDesc &param = sig.params[i];
      if (param.type == Type::kUnknown)
        Fail(SourcePos{}, "parameter type " + param.type_name +
                              " is not supported by natively compiled routines");
      Variable var;
      var.name = param.name.empty() ? "$" + std::to_string(i + 1) : param.name;
      var.type = param.type;
      var.param = static_cast<int>(i);
      if (param.mode == ParamMode::kIn || param.mode == ParamMode::kInOut)
        var.arg = args++;
      else if (sig.is_procedure && param.mode == ParamMode::kOut)
        ++args;  // passed, unused
      if (param.mode != ParamMode::kIn) {
        var.output = static_cast<int>(routine_.outputs.size());
        routine_.outputs.push_back(Declare(var, SourcePos{}));
        routine_.row_types.push_back(var.type);
      } else {
        Declare(var, SourcePos{});
      }
    }
    if (FindVariable("found") < 0) {  // PL/pgSQL's, in the parameters' scope: DECLARE shadows it
      Variable found;
      found.name = "found";
      found.type = Type::kBool;
      routine_.found_variable = Declare(found, SourcePos{});
    }
    if (sig.returns_set && routine_.outputs.empty()) routine_.row_types.push_back(sig.result);
    if (!sig.returns_void && routine_.outputs.empty() && sig.result == Type::kUnknown)
      Fail(SourcePos{}, "return type " + sig.result_type_name +
                            " is not supported by natively compiled routines");
    scopes_.emplace_back();
    BindList(&routine_.body.statements);
  }

 private:
  // A FROM item in scope: expressions name its columns as qualifier.column.
  struct Source {
    int table;              // Routine::tables, or -1 for a subquery in FROM
    const TableDesc *desc;  // its columns
    std::string qualifier;  // alias, or the table's name as written
  };
  using Sources = std::vector<Source>;

  // --- names -----------------------------------------------------------------

  int Declare(Variable var, SourcePos pos) {
    if (scopes_.empty()) scopes_.emplace_back();
    for (const auto &entry : scopes_.back())
      if (entry.first == var.name) Fail(pos, "variable \"" + var.name + "\" is already declared");
    routine_.variables.push_back(var);
    int index = static_cast<int>(routine_.variables.size()) - 1;
    scopes_.back().emplace_back(var.name, index);
    return index;
  }

  int FindVariable(const std::string &name) const {
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope)
      for (auto entry = scope->rbegin(); entry != scope->rend(); ++entry)
        if (entry->first == name) return entry->second;
    return -1;
  }

  // Only a subquery in FROM can have two columns of one name; naming
  // either is ambiguous, as in PostgreSQL.
  int FindColumn(const TableDesc &table, const std::string &name, SourcePos pos) const {
    int found = -1;
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (table.columns[i].dropped || table.columns[i].name != name) continue;
      if (found >= 0)
        FailWithCode(pos, "42702", "column reference \"" + name + "\" is ambiguous", "");
      found = static_cast<int>(i);
    }
    return found;
  }

  const TableDesc &ResolveTable(TableRef *ref) {
    for (size_t i = 0; i < routine_.tables.size(); ++i)
      if (routine_.tables[i].name == ref->name) {
        const TableDesc &table = routine_.tables[i];
        if (!table.found) FailWithCode(ref->pos, table.sqlstate, table.message, table.hint);
        ref->table = static_cast<int>(i);
        return table;
      }
    Fail(ref->pos, "table was not resolved");  // CollectTableNames missed it
  }

  Type ColumnType(const TableDesc &table, int column, SourcePos pos) {
    const ColumnDesc &col = table.columns[column];
    if (col.type == Type::kUnknown)
      Fail(pos, "column \"" + col.name + "\" has type " + col.type_name +
                    ", which natively compiled routines do not support yet");
    return col.type;
  }

  // The FROM item of `sources` and column a name refers to, or -1: "t.c"
  // must find qualifier t (a t without column c is an error); an unqualified
  // name must be a column of exactly one item.
  int FindSourceColumn(const Expr *expr, const Sources *sources, int *column) const {
    const std::string &last = expr->parts.back();
    *column = -1;
    if (expr->parts.size() == 2) {
      for (size_t s = 0; sources != nullptr && s < sources->size(); ++s) {
        if ((*sources)[s].qualifier != expr->parts[0]) continue;
        *column = FindColumn(*(*sources)[s].desc, last, expr->pos);
        if (*column < 0)
          Fail(expr->pos, "column " + expr->parts[0] + "." + last + " does not exist");
        return static_cast<int>(s);
      }
      return -1;
    }
    int found = -1;
    for (size_t s = 0; sources != nullptr && s < sources->size(); ++s) {
      int c = FindColumn(*(*sources)[s].desc, last, expr->pos);
      if (c < 0) continue;
      if (found >= 0)
        FailWithCode(expr->pos, "42702", "column reference \"" + last + "\" is ambiguous", "");
      found = static_cast<int>(s);
      *column = c;
    }
    return found;
  }

  // As FindSourceColumn, in `sources` and then in the queries around the
  // subqueries being bound, innermost first; *outer says how many
  // subquery levels out the item is (Expr::outer), *table its table.
  int FindColumnInScope(const Expr *expr, const Sources *sources, int *column, int *outer,
                        const TableDesc **table) const {
    *outer = 0;
    for (size_t up = enclosing_.size() + 1; up-- > 0;) {
      const Sources *level = up == enclosing_.size() ? sources : enclosing_[up];
      int source = FindSourceColumn(expr, level, column);
      if (source >= 0) {
        *table = (*level)[source].desc;
        return source;
      }
      ++*outer;  // one per subquery, also where procedural code holds it (level nullptr)
    }
    if (expr->parts.size() != 2) return -1;
    for (const std::vector<std::string> &level : hidden_qualifiers_)
      if (std::find(level.begin(), level.end(), expr->parts[0]) != level.end())
        FailInvalidReference(expr->pos, expr->parts[0]);
    Fail(expr->pos, "missing FROM-clause entry for table \"" + expr->parts[0] + "\"");
  }

  [[noreturn]] void FailInvalidReference(SourcePos pos, const std::string &qualifier) const {
    FailWithCode(pos, "42P01",
                 "invalid reference to FROM-clause entry for table \"" + qualifier + "\"",
                 "There is an entry for table \"" + qualifier +
                     "\", but it cannot be referenced from this part of the query.");
  }

  Type BindName(Expr *expr, const Sources *sources) {
    const std::string &last = expr->parts.back();
    int column = -1, outer = 0;
    const TableDesc *table = nullptr;
    int source = FindColumnInScope(expr, sources, &column, &outer, &table);
    int variable = expr->parts.size() == 1 ? FindVariable(last) : -1;
    if (column >= 0 && variable >= 0)
      Fail(expr->pos, "column reference \"" + last + "\" is ambiguous",
           "It could refer to either a variable or a table column; qualify the column with its "
           "table name.");
    if (column >= 0) {
      expr->source = source;
      expr->column = column;
      expr->outer = outer;
      NoteCorrelation(outer, -1);
      return ColumnType(*table, column, expr->pos);
    }
    if (variable < 0 && expr->parts.size() == 1 &&
        (last == "current_date" || last == "current_timestamp" || last == "localtimestamp")) {
      expr->kind = ExprKind::kCall;  // SQL's parameterless functions
      expr->op = last;
      return BindCall(expr);
    }
    if (variable < 0) {
      if (sources != nullptr || !enclosing_.empty())
        Fail(expr->pos, "column \"" + last + "\" does not exist");
      Fail(expr->pos, "variable \"" + last + "\" does not exist");
    }
    expr->variable = variable;
    NoteCorrelation(0, variable);
    return routine_.variables[variable].type;
  }

  // --- expressions -----------------------------------------------------------

  // Converts `slot` to `target` where an assignment may (any numeric to any
  // numeric with a range check; anything to and from text; NULL to anything).
  // numeric(p, s) targets (typmod >= 0) round the value to their scale;
  // varchar(n) targets refuse longer values (22001).
  void CoerceForAssignment(ExprPtr *slot, Type target, const std::string &what,
                           int32_t typmod = -1) {
    Type from = (*slot)->type;
    bool has_typmod = typmod >= 0 && TakesTypmod(target);
    if (from == target && !has_typmod) return;
    int function;
    bool ok = from == Type::kNull || (IsNumeric(from) && IsNumeric(target)) ||
              from == Type::kText || target == Type::kText || ResolveCast(from, target, &function);
    if (!ok)
      Fail((*slot)->pos,
           what + " is of type " + DisplayTypeName(target) + " but expression is of type " +
               DisplayTypeName(from),
           "You will need to rewrite or cast the expression.");
    *slot = WrapCast(std::move(*slot), target);
    if (has_typmod) (*slot)->typmod = typmod;
  }

  void CoerceImplicit(ExprPtr *slot, Type target) {
    if ((*slot)->type == target) return;
    *slot = WrapCast(std::move(*slot), target);
  }

  // "IS NOT TRUE", as PostgreSQL names the test in its errors.
  static const char *TruthTestName(const Expr &expr) {
    static const char *const kNames[2][3] = {{"IS TRUE", "IS FALSE", "IS UNKNOWN"},
                                             {"IS NOT TRUE", "IS NOT FALSE", "IS NOT UNKNOWN"}};
    int which = expr.op == "true" ? 0 : expr.op == "false" ? 1 : 2;
    return kNames[expr.negated ? 1 : 0][which];
  }

  void RequireBool(ExprPtr *slot, const char *what) {
    Type type = BindExpr(slot->get(), current_sources_);
    if (type == Type::kNull)
      CoerceImplicit(slot, Type::kBool);
    else if (type != Type::kBool)
      Fail((*slot)->pos, std::string("argument of ") + what + " must be type boolean, not type " +
                             DisplayTypeName(type));
  }

  Type BindLiteral(Expr *expr) {
    switch (expr->kind) {
      case ExprKind::kInt: {
        errno = 0;
        char *end = nullptr;
        long long value = std::strtoll(expr->text.c_str(), &end, 10);
        if (errno == ERANGE || *end != '\0')
          Fail(expr->pos, "integer constant " + expr->text + " is out of range for type bigint",
               "");
        return value >= std::numeric_limits<int32_t>::min() &&
                       value <= std::numeric_limits<int32_t>::max()
                   ? Type::kInt4
                   : Type::kInt8;
      }
      case ExprKind::kFloat:  // a decimal constant is numeric, as in PostgreSQL
        return Type::kNumeric;
      case ExprKind::kString:
        return Type::kText;
      case ExprKind::kBool:
        return Type::kBool;
      default:
        return Type::kNull;
    }
  }

  // A string literal next to a value of another type takes that type (as an
  // unknown-type literal does in PostgreSQL); a NULL takes the other's type.
  void UnifyOperands(Expr *expr) {
    ExprPtr &left = expr->args[0];
    ExprPtr &right = expr->args[1];
    auto adopt = [](ExprPtr *slot, Type other) {
      bool literal = (*slot)->kind == ExprKind::kString || (*slot)->type == Type::kNull;
      if (literal && other != Type::kNull && other != (*slot)->type)
        *slot = WrapCast(std::move(*slot), other);
    };
    adopt(&left, right->type);
    adopt(&right, left->type);
  }

  Type BindBinary(Expr *expr) {
    const std::string &op = expr->op;
    if (op == "and" || op == "or") {
      RequireBool(&expr->args[0], op == "and" ? "AND" : "OR");
      RequireBool(&expr->args[1], op == "and" ? "AND" : "OR");
      return Type::kBool;
    }
    BindExpr(expr->args[0].get(), current_sources_);
    BindExpr(expr->args[1].get(), current_sources_);
    if (op == "||" && expr->args[0]->type == Type::kBytea && expr->args[1]->type == Type::kBytea)
      return BindPostgresOperator(expr);
    if (op == "||") {
      for (ExprPtr &arg : expr->args) CoerceImplicit(&arg, Type::kText);
      return Type::kText;
    }
    if (op == "~~" || op == "~~*") return BindLike(expr);
    if (op == "^") return BindPower(expr);
    UnifyOperands(expr);
    Type left = expr->args[0]->type;
    Type right = expr->args[1]->type;
    if (left == Type::kNull && right == Type::kNull) {
      CoerceImplicit(&expr->args[0], Type::kInt4);
      CoerceImplicit(&expr->args[1], Type::kInt4);
      left = right = Type::kInt4;
    }
    if (IsComputedByPostgres(left) || IsComputedByPostgres(right))
      return BindPostgresOperator(expr);
    bool comparison = op == "=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=";
    Type operand;
    if (IsNumeric(left) && IsNumeric(right)) {
      operand = CommonNumeric(left, right);
      if (op == "%" && !IsInteger(operand)) OperatorError(expr, left, right);
    } else if (left == right && comparison && (left == Type::kText || left == Type::kBool)) {
      operand = left;
    } else {
      OperatorError(expr, left, right);
    }
    CoerceImplicit(&expr->args[0], operand);
    CoerceImplicit(&expr->args[1], operand);
    return comparison ? Type::kBool : operand;
  }

  // LIKE / ILIKE (~~, ~~*): a text against a text pattern, by PostgreSQL's
  // functions; a char(n) value is matched as it is, trailing blanks
  // included, as PostgreSQL's bpcharlike does.
  Type BindLike(Expr *expr) {
    Type left = expr->args[0]->type;
    Type right = expr->args[1]->type;
    for (int side = 0; side < 2; ++side) {
      ExprPtr &arg = expr->args[side];
      if (arg->type == Type::kText || (side == 0 && arg->type == Type::kBpchar)) continue;
      if (arg->type != Type::kNull && arg->type != Type::kBpchar) OperatorError(expr, left, right);
      CoerceImplicit(&arg, Type::kText);
    }
    expr->runtime = expr->op == "~~" ? MEMOPT_FN_TEXT_LIKE : MEMOPT_FN_TEXT_ILIKE;
    return Type::kBool;
  }

  // An operator of numeric, date/time, interval, uuid or bytea operands
  // (operators.h); a NULL operand takes the other's type.
  Type BindPostgresOperator(Expr *expr) {
    Type left = expr->args[0]->type;
    Type right = expr->args[1]->type;
    if (left == Type::kNull) left = right;
    if (right == Type::kNull) right = left;
    OperatorMatch match;
    if (!ResolveOperator(expr->op, left, right, &match))
      OperatorError(expr, expr->args[0]->type, expr->args[1]->type);
    CoerceOperand(&expr->args[0], match.left);
    CoerceOperand(&expr->args[1], match.right);
    expr->runtime = match.function;
    expr->swap_operands = match.swap;
    return match.result;
  }

  // x ^ y: power() of float8 or numeric, whose overload PostgreSQL's `^`
  // operators share (an integer power is float8).
  Type BindPower(Expr *expr) {
    Type result;
    if (!ApplyPostgresFunction(expr, "power", &result))
      OperatorError(expr, expr->args[0]->type, expr->args[1]->type);
    return result;
  }

  void CoerceOperand(ExprPtr *slot, Type target) {
    if ((*slot)->type == target) return;
    int function;
    bool literal = (*slot)->kind == ExprKind::kString;  // of unknown type: its input function
    if (!literal && !IsNumeric((*slot)->type) && (*slot)->type != Type::kNull &&
        !ResolveCast((*slot)->type, target, &function))
      Fail((*slot)->pos, "cannot convert " + std::string(DisplayTypeName((*slot)->type)) + " to " +
                             DisplayTypeName(target));
    *slot = WrapCast(std::move(*slot), target);
  }

  [[noreturn]] void OperatorError(Expr *expr, Type left, Type right) {
    Fail(expr->pos,
         std::string("operator does not exist: ") + DisplayTypeName(left) + " " + expr->op + " " +
             DisplayTypeName(right),
         "No operator matches the given name and argument types. You might need to add explicit "
         "type casts.");
  }

  Type BindUnary(Expr *expr) {
    if (expr->op == "not") {
      RequireBool(&expr->args[0], "NOT");
      return Type::kBool;
    }
    Type type = BindExpr(expr->args[0].get(), current_sources_);
    if (type == Type::kNull) {
      CoerceImplicit(&expr->args[0], Type::kInt4);
      type = Type::kInt4;
    }
    if (expr->op == "-" && ResolveNegation(type, &expr->runtime)) return type;
    if (!IsNumeric(type) &&
        !(expr->op == "+" && (type == Type::kNumeric || type == Type::kInterval)))
      Fail(expr->pos, "operator does not exist: " + expr->op + " " + DisplayTypeName(type));
    return type;
  }

  Type BindCall(Expr *expr) {
    const std::map<std::string, BuiltinFunction> &kFunctions = BuiltinFunctions();
    auto it = kFunctions.find(expr->op);
    const char *aggregate_clause = expr->distinct            ? "DISTINCT"
                                   : !expr->order_by.empty() ? "ORDER BY"
                                                             : nullptr;
    if (aggregate_clause != nullptr &&
        (it == kFunctions.end() || it->second < BuiltinFunction::kCount))
      FailWithCode(expr->pos, "42809",
                   std::string(aggregate_clause) + " specified, but " + expr->op +
                       " is not an aggregate function",
                   "");
    if (it == kFunctions.end() && FindCallee(expr->op, expr->args.size()) >= 0)
      return BindCalleeCall(expr);
    if (it == kFunctions.end() && IsPostgresFunction(expr->op)) return BindPostgresFunction(expr);
    if (it == kFunctions.end())
      Fail(expr->pos, "function " + expr->op + " is not supported by natively compiled routines",
           "docs/native-compilation.md lists the functions natively compiled routines have.");
    expr->function = static_cast<int>(it->second);
    if (it->second >= BuiltinFunction::kCount) return BindAggregate(expr, it->second);
    std::vector<Type> types;
    for (ExprPtr &arg : expr->args) types.push_back(BindExpr(arg.get(), current_sources_));
    auto arity = [&](size_t n) {
      if (expr->args.size() != n)
        Fail(expr->pos, "function " + expr->op + " takes " + std::to_string(n) +
                            (n == 1 ? " argument" : " arguments"));
    };
    switch (it->second) {
      case BuiltinFunction::kAbs:
        arity(1);
        if (types[0] == Type::kNull) CoerceImplicit(&expr->args[0], Type::kInt4);
        if (expr->args[0]->type == Type::kNumeric) expr->runtime = MEMOPT_FN_NUMERIC_ABS;
        if (!IsNumeric(expr->args[0]->type) && expr->runtime < 0) CallTypeError(expr, types);
        return expr->args[0]->type;
      case BuiltinFunction::kMod: {
        arity(2);
        Type common = CommonNumeric(types[0] == Type::kNull ? Type::kInt4 : types[0],
                                    types[1] == Type::kNull ? Type::kInt4 : types[1]);
        if (!IsInteger(common)) CallTypeError(expr, types);
        for (ExprPtr &arg : expr->args) CoerceImplicit(&arg, common);
        return common;
      }
      case BuiltinFunction::kCoalesce:
        return CoerceToCommonType(expr, {}, "COALESCE");
      case BuiltinFunction::kGreatest:
      case BuiltinFunction::kLeast: {
        const char *name = it->second == BuiltinFunction::kGreatest ? "GREATEST" : "LEAST";
        Type common = CoerceToCommonType(expr, {}, name);
        if (common == Type::kBytea)  // the one type it has no ordering of
          FailWithCode(expr->pos, "42883",
                       std::string("could not identify a comparison function for type ") +
                           DisplayTypeName(common),
                       "");
        return common;
      }
      case BuiltinFunction::kLength:
      case BuiltinFunction::kLower:
      case BuiltinFunction::kUpper:
        arity(1);
        if (it->second == BuiltinFunction::kLength &&
            (types[0] == Type::kBytea || types[0] == Type::kBpchar)) {
          expr->runtime =
              types[0] == Type::kBytea ? MEMOPT_FN_BYTEA_LENGTH : MEMOPT_FN_BPCHAR_LENGTH;
          return Type::kInt4;
        }
        if (types[0] == Type::kBpchar) types[0] = Type::kText;  // lower / upper: as text
        if (types[0] != Type::kText && types[0] != Type::kNull) CallTypeError(expr, types);
        CoerceImplicit(&expr->args[0], Type::kText);
        return it->second == BuiltinFunction::kLength ? Type::kInt4 : Type::kText;
      case BuiltinFunction::kNow:
      case BuiltinFunction::kCurrentDate:
      case BuiltinFunction::kLocalTimestamp:
        arity(0);
        return it->second == BuiltinFunction::kNow           ? Type::kTimestampTz
               : it->second == BuiltinFunction::kCurrentDate ? Type::kDate
                                                             : Type::kTimestamp;
      case BuiltinFunction::kConcat:
      case BuiltinFunction::kConcatWs:
        BindConcat(expr, it->second == BuiltinFunction::kConcatWs, types);
        return Type::kText;
      default:  // aggregates: BindAggregate, above
        break;
    }
    return Type::kUnknown;
  }

  // concat(any, ...) and concat_ws(separator, any, ...): each argument as
  // its type's output function writes it. That is its text cast, but for
  // bool (t / f, computed by the code generator) and char(n), whose value
  // keeps its padding; both are left as they are. The separator is text.
  void BindConcat(Expr *expr, bool with_separator, const std::vector<Type> &types) {
    if (expr->args.empty()) CallTypeError(expr, types);
    for (size_t i = 0; i < expr->args.size(); ++i) {
      ExprPtr &arg = expr->args[i];
      if (with_separator && i == 0) {
        if (arg->type != Type::kText && arg->type != Type::kBpchar && arg->type != Type::kNull)
          CallTypeError(expr, types);
        CoerceImplicit(&arg, Type::kText);
      } else if (arg->type != Type::kBool && arg->type != Type::kBpchar) {
        arg = WrapCast(std::move(arg), Type::kText);
        arg->explicit_cast = true;
      }
    }
  }

  // A function PostgreSQL computes (operators.h): the best overload for the
  // argument types; the arguments are converted to its parameter types.
  Type BindPostgresFunction(Expr *expr) {
    std::vector<Type> types;
    for (ExprPtr &arg : expr->args) types.push_back(BindExpr(arg.get(), current_sources_));
    Type result;
    if (!ApplyPostgresFunction(expr, expr->op, &result)) CallTypeError(expr, types);
    return result;
  }

  // PostgreSQL function `name` computes `expr`, whose arguments are bound:
  // the best overload for their types (a string literal, of unknown type,
  // takes any), to whose parameter types they are converted. False when no
  // overload fits.
  bool ApplyPostgresFunction(Expr *expr, const std::string &name, Type *result) {
    std::vector<Type> types;
    for (const ExprPtr &arg : expr->args)
      types.push_back(arg->kind == ExprKind::kString ? Type::kNull : arg->type);
    FunctionMatch match;
    if (!ResolveFunction(name, types, &match)) return false;
    for (size_t i = 0; i < expr->args.size(); ++i) CoerceOperand(&expr->args[i], match.params[i]);
    expr->runtime = match.function;
    *result = match.result;
    return true;
  }

  // count / sum / min / max / avg, with PostgreSQL's result types; in a
  // query's select list, HAVING and ORDER BY, never nested.
  Type BindAggregate(Expr *expr, BuiltinFunction function) {
    if (aggregates_ == nullptr)
      FailWithCode(expr->pos, "42803",
                   "aggregate functions are only allowed in the select list, HAVING and ORDER BY "
                   "of a query",
                   "");
    if (in_aggregate_) Fail(expr->pos, "aggregate function calls cannot be nested");
    expr->aggregate = static_cast<int>(aggregates_->size());
    aggregates_->push_back(expr);
    Type type = BindAggregateInputs(expr, function);
    BindAggregateOrder(expr, function);
    return type;
  }

  // An aggregate's inputs, converted as PostgreSQL's overload takes them;
  // its result type.
  Type BindAggregateInputs(Expr *expr, BuiltinFunction function) {
    if (function == BuiltinFunction::kCount && expr->text == "*") return Type::kInt8;
    if (function == BuiltinFunction::kStringAgg) return BindStringAgg(expr);
    if (expr->args.size() != 1) Fail(expr->pos, "function " + expr->op + " takes 1 argument");
    in_aggregate_ = true;
    Type arg = BindExpr(expr->args[0].get(), current_sources_);
    in_aggregate_ = false;
    bool logical = function == BuiltinFunction::kBoolAnd || function == BuiltinFunction::kBoolOr;
    if (arg == Type::kNull) {
      arg = logical ? Type::kBool : Type::kInt4;
      CoerceImplicit(&expr->args[0], arg);
    }
    switch (function) {
      case BuiltinFunction::kBoolAnd:
      case BuiltinFunction::kBoolOr:
        if (arg == Type::kBool) return Type::kBool;
        break;
      case BuiltinFunction::kCount:
        return Type::kInt8;
      case BuiltinFunction::kSum:  // bigint and numeric sum as numeric
        if (arg == Type::kInt2 || arg == Type::kInt4) return Type::kInt8;
        if (IsFloat(arg) || arg == Type::kInterval) return arg;
        if (arg == Type::kInt8 || arg == Type::kNumeric) {
          CoerceImplicit(&expr->args[0], Type::kNumeric);
          return Type::kNumeric;
        }
        break;
      case BuiltinFunction::kAvg:  // sum / count: double precision of floats, else numeric
        if (IsFloat(arg)) {
          CoerceImplicit(&expr->args[0], Type::kFloat8);
          return Type::kFloat8;
        }
        if (arg == Type::kInt2 || arg == Type::kInt4) {  // a bigint sum, as int4_avg_accum
          CoerceImplicit(&expr->args[0], Type::kInt8);
          return Type::kNumeric;
        }
        if (arg == Type::kInt8 || arg == Type::kNumeric) {
          CoerceImplicit(&expr->args[0], Type::kNumeric);
          return Type::kNumeric;
        }
        break;
      default:  // min, max: of what has an order (not boolean, uuid or bytea, as in PostgreSQL)
        if (arg != Type::kBool && arg != Type::kUuid && arg != Type::kBytea) return arg;
        break;
    }
    CallTypeError(expr, {arg});
  }

  // ORDER BY in an aggregate's arguments, bound as its inputs are. Its
  // items stay (moved to the end of args) only where the order of the
  // inputs can change the result: string_agg's text, and the rounding of
  // a floating-point sum; elsewhere, and for constant items, they order
  // nothing. With DISTINCT each item must be an argument, as in
  // PostgreSQL, and only the first argument orders (a DISTINCT
  // string_agg's delimiter is a constant).
  void BindAggregateOrder(Expr *expr, BuiltinFunction function) {
    std::vector<SortItem> &items = expr->order_by;
    in_aggregate_ = true;
    for (SortItem &item : items) {
      if (HasSubquery(item.expr.get()))  // dropped bound, it could dangle from cached_subqueries
        Fail(item.pos,
             "subqueries in the ORDER BY of an aggregate are not supported in natively compiled "
             "routines");
      if (item.nulls_first < 0) item.nulls_first = item.descending ? 1 : 0;
      BindExpr(item.expr.get(), current_sources_);
    }
    in_aggregate_ = false;
    for (const SortItem &item : items)
      if (expr->distinct && !IsAggregateArgument(*expr, *item.expr))
        FailWithCode(item.pos, "42P10",
                     "in an aggregate with DISTINCT, ORDER BY expressions must appear in "
                     "argument list",
                     "");
    auto orders_nothing = [&](const SortItem &item) {
      return IsConstantItem(item.expr.get()) ||
             (expr->distinct &&
              !SameExpr(*StripCast(item.expr.get()), *StripCast(expr->args[0].get())));
    };
    items.erase(std::remove_if(items.begin(), items.end(), orders_nothing), items.end());
    if (!InputOrderMatters(*expr, function)) items.clear();
    for (SortItem &item : items) expr->args.push_back(std::move(item.expr));
  }

  static bool IsAggregateArgument(const Expr &aggregate, const Expr &item) {
    for (const ExprPtr &arg : aggregate.args)
      if (SameExpr(*StripCast(arg.get()), *StripCast(&item))) return true;
    return false;
  }

  static bool InputOrderMatters(const Expr &aggregate, BuiltinFunction function) {
    if (function == BuiltinFunction::kStringAgg) return true;
    return (function == BuiltinFunction::kSum || function == BuiltinFunction::kAvg) &&
           IsFloat(aggregate.args[0]->type);
  }

  // string_agg(value, delimiter) of text (varchar and char(n) converted),
  // as PostgreSQL's string_agg(text, text).
  Type BindStringAgg(Expr *expr) {
    std::vector<Type> types;  // a string literal's is "unknown", as PostgreSQL names it
    bool text = expr->args.size() == 2;
    in_aggregate_ = true;
    for (ExprPtr &arg : expr->args) {
      Type type = BindExpr(arg.get(), current_sources_);
      types.push_back(arg->kind == ExprKind::kString ? Type::kNull : type);
      text = text && (types.back() == Type::kNull || type == Type::kText || type == Type::kBpchar);
    }
    in_aggregate_ = false;
    if (!text) CallTypeError(expr, types);
    if (expr->distinct && expr->args[1]->kind != ExprKind::kString)
      Fail(expr->args[1]->pos,
           "string_agg(DISTINCT ...) with a delimiter that is not a constant is not supported in "
           "natively compiled routines");
    for (ExprPtr &arg : expr->args) CoerceImplicit(&arg, Type::kText);
    return Type::kText;
  }

  // --- calls of other natively compiled routines ------------------------------

  int FindCallee(const std::string &name, size_t nargs) const {
    for (size_t i = 0; i < routine_.callees.size(); ++i)
      if (routine_.callees[i].name == name && routine_.callees[i].nargs == nargs)
        return static_cast<int>(i);
    return -1;
  }

  // The callee of a call, its arguments bound and cast to its parameters.
  const CalleeDesc &BindCalleeArguments(SourcePos pos, const std::string &name,
                                        std::vector<ExprPtr> *args, int *index) {
    *index = FindCallee(name, args->size());
    if (*index < 0) Fail(pos, "routine " + name + " was not resolved");
    const CalleeDesc &callee = routine_.callees[*index];
    if (!callee.found) FailWithCode(pos, callee.sqlstate, callee.message, callee.hint);
    for (size_t i = 0; i < args->size(); ++i) {
      BindExpr((*args)[i].get(), current_sources_);
      CoerceForAssignment(&(*args)[i], callee.params[i],
                          "argument " + std::to_string(i + 1) + " of " + name);
    }
    return callee;
  }

  Type BindCalleeCall(Expr *expr) {
    const CalleeDesc &callee = BindCalleeArguments(expr->pos, expr->op, &expr->args, &expr->callee);
    if (callee.is_procedure)
      FailWithCode(expr->pos, "42809", expr->op + " is a procedure",
                   "To call a procedure, use CALL.");
    return callee.result;
  }

  void BindCallStatement(Stmt *stmt) {
    const CalleeDesc &callee =
        BindCalleeArguments(stmt->pos, stmt->name, &stmt->args, &stmt->callee);
    if (!callee.is_procedure)
      FailWithCode(stmt->pos, "42809", stmt->name + " is not a procedure",
                   "To call a function, use it in an expression.");
  }

  // CASE: boolean conditions; the values take one common type (as COALESCE).
  Type BindCase(Expr *expr) {
    size_t pairs = (expr->args.size() - (expr->has_else ? 1 : 0)) / 2;
    std::vector<size_t> values;
    for (size_t i = 0; i < pairs; ++i) {
      RequireBool(&expr->args[2 * i], "CASE/WHEN");
      values.push_back(2 * i + 1);
    }
    if (expr->has_else) values.push_back(expr->args.size() - 1);
    for (size_t i : values) BindExpr(expr->args[i].get(), current_sources_);
    if (expr->op == "nullif") {
      // NULLIF(a, b) returns a as the `=` operator took it: NULLIF(1, 2.5)
      // is numeric, as in PostgreSQL.
      const Expr &equality = *expr->args[0];
      if (equality.kind == ExprKind::kBinary)
        CoerceImplicit(&expr->args.back(), equality.args[0]->type);
    }
    return CoerceToCommonType(expr, values, "CASE");
  }

  // The bound expr->args[i] of CASE results (i in `which`), or of every
  // argument of COALESCE, GREATEST and LEAST (`which` empty), converted to
  // their common type as PostgreSQL's select_common_type does: NULLs and
  // quoted literals take the others' type (text when all are such).
  Type CoerceToCommonType(Expr *expr, std::vector<size_t> which, const char *name) {
    if (expr->args.empty())
      Fail(expr->pos, std::string("function ") + name + " needs at least one argument");
    if (which.empty())
      for (size_t i = 0; i < expr->args.size(); ++i) which.push_back(i);
    Type common = Type::kNull;
    for (size_t i : which) {
      const Expr &arg = *expr->args[i];
      if (arg.type == Type::kNull || arg.kind == ExprKind::kString) continue;
      if (common == Type::kNull)
        common = arg.type;
      else if (!CommonType(common, arg.type, &common))
        Fail(arg.pos, std::string(name) + " types " + DisplayTypeName(common) + " and " +
                          DisplayTypeName(arg.type) + " cannot be matched");
    }
    if (common == Type::kNull) common = Type::kText;
    for (size_t i : which) CoerceImplicit(&expr->args[i], common);
    return common;
  }

  [[noreturn]] void CallTypeError(Expr *expr, const std::vector<Type> &types) {
    std::string args;
    for (Type t : types) args += (args.empty() ? "" : ", ") + std::string(DisplayTypeName(t));
    Fail(expr->pos, "function " + expr->op + "(" + args + ") does not exist",
         "No function matches the given name and argument types. You might need to add explicit "
         "type casts.");
  }

  Type BindExpr(Expr *expr, const Sources *source) {
    const Sources *saved = current_sources_;
    current_sources_ = source;
    Type type = Type::kUnknown;
    switch (expr->kind) {
      case ExprKind::kInt:
      case ExprKind::kFloat:
      case ExprKind::kString:
      case ExprKind::kBool:
      case ExprKind::kNull:
        type = BindLiteral(expr);
        break;
      case ExprKind::kName:
        type = BindName(expr, source);
        break;
      case ExprKind::kUnary:
        type = BindUnary(expr);
        break;
      case ExprKind::kBinary:
        type = BindBinary(expr);
        break;
      case ExprKind::kIsNull:
        if (expr->op.empty())
          BindExpr(expr->args[0].get(), source);
        else
          RequireBool(&expr->args[0], TruthTestName(*expr));
        type = Type::kBool;
        break;
      case ExprKind::kIsDistinct:
        BindExpr(expr->args[0].get(), source);
        type = Type::kBool;
        break;
      case ExprKind::kDefault:  // BindColumnValue takes it where it belongs
        FailWithCode(expr->pos, "42601", "DEFAULT is not allowed in this context", "");
      case ExprKind::kCall:
        type = BindCall(expr);
        break;
      case ExprKind::kCase:
        type = BindCase(expr);
        break;
      case ExprKind::kExists:
        BindExists(expr, source);
        type = Type::kBool;
        break;
      case ExprKind::kScalarSubquery:
        type = BindScalarSubquery(expr, source);
        break;
      case ExprKind::kInSubquery:
        BindInSubquery(expr, source);
        type = Type::kBool;
        break;
      case ExprKind::kLet:
        type = BindLet(expr, source);
        break;
      case ExprKind::kCast: {
        if (expr->type != Type::kUnknown) {  // made by WrapCast, already bound
          type = expr->type;
          break;
        }
        Type target;
        int32_t typmod;
        if (!TypeFromName(expr->cast_type.name, expr->cast_type.modifiers, &target, &typmod))
          Fail(expr->cast_type.pos, "type \"" + expr->cast_type.name +
                                        "\" is not supported by natively compiled routines");
        BindExpr(expr->args[0].get(), source);
        CoerceForAssignment(&expr->args[0], target, "cast target", typmod);
        if (expr->args[0]->typmod >= 0) expr->args[0]->explicit_cast = true;  // x::varchar(3) cuts
        type = target;
        break;
      }
    }
    current_sources_ = saved;
    expr->type = type;
    return type;
  }

  // Binds subquery `expr` by `bind`, with `around` (the FROM items of the
  // query the subquery expression is in) as the next scope out: the
  // subquery's names are its own FROM items' columns, then those of the
  // queries around it (a correlated subquery), then variables. Aggregates
  // in it are its own.
  //
  // A subquery evaluated per row of a query (cache_owner_ set) that reads
  // nothing of the rows around it is cached, as PostgreSQL makes such a
  // subquery an InitPlan: computed at its first use in each execution of
  // its owner (Stmt::cached_subqueries), then reused.
  //
  // An IN subquery's `own_let` (its x) does not make it correlated: one that
  // reads nothing else of the rows around it may be hashed (MakeHashed).
  template <typename F>
  void BindSubquery(Expr *expr, const Sources *around, F bind, int own_let = -1) {
    Stmt *owner = cache_owner_;
    if (owner == nullptr) cache_owner_ = expr->query.get();  // evaluated once where it stands
    bool correlated = BindOneLevelIn(around, own_let, bind);
    cache_owner_ = owner;
    if (owner != nullptr && !correlated && (own_let < 0 || MakeHashed(expr))) {
      expr->cached = own_let < 0;
      owner->cached_subqueries.push_back(expr);
    }
    current_sources_ = around;
  }

  // Runs `bind` on a subquery's query one level in from the FROM items
  // `around` (enclosing_, subqueries_), with aggregates of its own; whether
  // it read the rows around it (see NoteCorrelation).
  template <typename F>
  bool BindOneLevelIn(const Sources *around, int own_let, F bind) {
    std::vector<const Expr *> *saved_aggregates = aggregates_;
    bool saved_in_aggregate = in_aggregate_;
    aggregates_ = nullptr;
    in_aggregate_ = false;
    enclosing_.push_back(around);
    subqueries_.push_back(SubqueryBinding{routine_.variables.size(), false, own_let});
    bind();
    bool correlated = subqueries_.back().correlated;
    subqueries_.pop_back();
    enclosing_.pop_back();
    aggregates_ = saved_aggregates;
    in_aggregate_ = saved_in_aggregate;
    return correlated;
  }

  // A name read `outer` subquery levels out makes the subqueries between
  // here and there correlated; so does a $let read inside a subquery that
  // the $let is declared outside of (its value changes per outer row).
  void NoteCorrelation(int outer, int variable) {
    for (size_t i = subqueries_.size() - std::min<size_t>(outer, subqueries_.size());
         i < subqueries_.size(); ++i)
      subqueries_[i].correlated = true;
    if (variable < 0 || !routine_.variables[variable].borrowed) return;
    for (SubqueryBinding &subquery : subqueries_)
      if (static_cast<size_t>(variable) < subquery.first_variable && variable != subquery.own_let)
        subquery.correlated = true;
  }

  // An uncorrelated `x IN (SELECT item FROM ... [WHERE ...])` whose select
  // list compares x and the item in one type: the select list becomes the
  // item and args[1] x, for a value set (Expr::value_set). Other clauses
  // (GROUP BY, ORDER BY, LIMIT, ...) keep it a comparison per row.
  bool MakeHashed(Expr *expr) {
    Stmt *query = expr->query.get();
    Expr *equal = query->select_list[0].get();
    if (!query->group_by.empty() || !query->aggregates.empty() || query->having ||
        !query->order_by.empty() || query->limit || query->offset || query->distinct ||
        query->distinct_on_keys > 0 || equal->kind != ExprKind::kBinary || equal->op != "=" ||
        equal->args[0]->type != equal->args[1]->type)
      return false;
    ExprPtr probe = std::move(equal->args[0]);
    query->select_list[0] = std::move(equal->args[1]);
    expr->args.push_back(std::move(probe));
    expr->value_set = routine_.value_sets++;
    return true;
  }

  // EXISTS (SELECT ... FROM ... WHERE ...): its select list is checked,
  // never computed.
  void BindExists(Expr *expr, const Sources *around) {
    Stmt *query = expr->query.get();
    BindSubquery(expr, around, [&] {
      std::vector<const Expr *> aggregates;
      aggregates_ = &aggregates;
      Sources sources = SourcesFor(&query->from);
      for (ExprPtr &item : query->select_list) BindExpr(item.get(), &sources);
      if (!aggregates.empty())
        Fail(aggregates[0]->pos,
             "aggregate functions are not supported in EXISTS subqueries of natively compiled "
             "routines");
      aggregates_ = nullptr;
      BindWhere(query, sources);
    });
  }

  // (SELECT item FROM ...): every clause of a query; its value is kept in a
  // variable of the item's type that no name reaches.
  Type BindScalarSubquery(Expr *expr, const Sources *around) {
    Stmt *query = expr->query.get();
    if (query->select_list.size() != 1)
      FailWithCode(query->select_list[1]->pos, "42601", "subquery must return only one column", "");
    BindSubquery(expr, around, [&] {
      BindQuery(query, [this](size_t i, ExprPtr *item) { TypeUntypedNull(i, item); });
    });
    Variable value;
    value.name = "(subquery)";
    value.type = query->select_list[0]->type;
    expr->variable = DeclareHidden(value);
    return value.type;
  }

  // x IN (SELECT item FROM ...): the item becomes the comparison `$let =
  // item` (`$let op item` for x op ANY / ALL), its $let x's value (a variable; a literal x is
  // copied in, so it takes its type from the item, as an unknown-type literal does).
  void BindInSubquery(Expr *expr, const Sources *around) {
    Stmt *query = expr->query.get();
    if (query->select_list.size() != 1)
      FailWithCode(query->select_list[1]->pos, "42601", "subquery has too many columns", "");
    ExprPtr &operand = expr->args[0];
    bool literal = IsLiteral(*operand);
    ExprPtr left = literal ? CloneExpr(*operand) : LetReference(operand->pos);
    BindExpr(operand.get(), around);
    if (!literal) expr->variable = DeclareLet(operand.get());
    ExprPtr item = std::move(query->select_list[0]);
    ExprPtr equal = std::make_unique<Expr>();
    equal->kind = ExprKind::kBinary;
    equal->pos = item->pos;
    equal->op = expr->op.empty() ? "=" : expr->op;  // x op ANY (...)
    equal->args.push_back(std::move(left));
    equal->args.push_back(std::move(item));
    query->select_list[0] = std::move(equal);
    BindSubquery(
        expr, around, [&] { BindQuery(query, [](size_t, ExprPtr *) {}); }, expr->variable);
    if (!literal) scopes_.pop_back();
  }

  // x IN (list), x BETWEEN a AND b (parser.cpp): the body reads x as $let.
  // A literal or a name is copied into the body, which then replaces the
  // node, as PostgreSQL expands BETWEEN (so `col BETWEEN a AND b` stays two
  // conjuncts a range scan can use); anything else is computed once into a
  // variable.
  Type BindLet(Expr *expr, const Sources *source) {
    const Expr &operand = *expr->args[0];
    if (IsLiteral(operand) || operand.kind == ExprKind::kName) {
      ExprPtr body = std::move(expr->args[1]);
      SubstituteLet(body.get(), operand);
      *expr = std::move(*body);
      Type type = BindExpr(expr, source);
      MarkConstantInList(expr);
      return type;
    }
    BindExpr(expr->args[0].get(), source);
    expr->variable = DeclareLet(expr->args[0].get());
    Type type = BindExpr(expr->args[1].get(), source);
    MarkConstantInList(expr->args[1].get());
    scopes_.pop_back();
    return type;
  }

  // `x IN (constants)`, at least kInListValueSet of them, of a type the code
  // generator cannot switch on (not an integer): tested against a value set
  // filled once per call (Expr::value_set), with a bisection of the type's
  // comparisons instead of one comparison per item.
  void MarkConstantInList(Expr *expr) {
    static constexpr size_t kInListValueSet = 8;
    const Expr *operand = nullptr;
    std::vector<const Expr *> items;
    if (!CollectConstantInList(expr, &operand, &items) || items.size() < kInListValueSet ||
        IsInteger(operand->type))
      return;
    expr->value_set = routine_.value_sets++;
  }

  // Replaces the $let names of a kLet's body (not those of kLet nodes in it,
  // which are their own) with copies of `operand`.
  static void SubstituteLet(Expr *expr, const Expr &operand) {
    for (size_t i = 0; i < expr->args.size(); ++i) {
      ExprPtr &arg = expr->args[i];
      if (arg->kind == ExprKind::kName && arg->parts.size() == 1 && arg->parts[0] == LetName()) {
        SourcePos pos = arg->pos;
        arg = CloneExpr(operand);
        arg->pos = pos;
      } else if (!(expr->kind == ExprKind::kLet && i == 1)) {
        SubstituteLet(arg.get(), operand);
      }
    }
  }

  // $let, in a scope of its own that the caller pops: a variable of the
  // bound operand's type that borrows its value (codegen_internal.h).
  int DeclareLet(const Expr *operand) {
    Variable let;
    let.name = LetName();
    let.type = operand->type == Type::kNull ? Type::kText : operand->type;
    let.borrowed = true;
    scopes_.emplace_back();
    return Declare(let, operand->pos);
  }

  // A variable for the code generator that no name reaches.
  int DeclareHidden(const Variable &var) {
    routine_.variables.push_back(var);
    return static_cast<int>(routine_.variables.size()) - 1;
  }

  // --- statements --------------------------------------------------------------

  void BindList(StmtList *list) {
    scopes_.emplace_back();
    for (StmtPtr &stmt : *list) BindStmt(stmt.get());
    scopes_.pop_back();
  }

  void BindAssignment(ExprPtr *value, int variable) {
    const Variable &var = routine_.variables[variable];
    BindExpr(value->get(), nullptr);
    CoerceForAssignment(value, var.type, "variable \"" + var.name + "\"", var.typmod);
  }

  // The statements whose queries run per row own the cached subqueries in
  // them (BindSubquery); in any other, a subquery is its own owner.
  void BindStmt(Stmt *stmt) {
    Stmt *saved_owner = cache_owner_;
    cache_owner_ = RunsQuery(stmt->kind) ? stmt : nullptr;
    BindStmtOfKind(stmt);
    cache_owner_ = saved_owner;
  }

  static bool RunsQuery(StmtKind kind) {
    switch (kind) {
      case StmtKind::kInsert:
      case StmtKind::kUpdate:
      case StmtKind::kDelete:
      case StmtKind::kSelectInto:
      case StmtKind::kSelectValues:
      case StmtKind::kForQuery:
      case StmtKind::kSelectRows:
      case StmtKind::kPerform:
        return true;
      default:
        return false;
    }
  }

  void BindStmtOfKind(Stmt *stmt) {
    switch (stmt->kind) {
      case StmtKind::kDeclare:
        BindDeclare(stmt);
        break;
      case StmtKind::kAssign: {
        int variable = FindVariable(stmt->name);
        if (variable < 0) Fail(stmt->pos, "variable \"" + stmt->name + "\" does not exist");
        stmt->variable = variable;
        BindAssignment(&stmt->value, variable);
        break;
      }
      case StmtKind::kIf:
        for (ExprPtr &cond : stmt->conds) RequireBool(&cond, "IF");
        for (StmtList &branch : stmt->branches) BindList(&branch);
        BindList(&stmt->else_body);
        break;
      case StmtKind::kWhile:
        RequireBool(&stmt->conds[0], "WHILE");
        BindLoopBody(&stmt->body, stmt->label);
        break;
      case StmtKind::kLoop:
        BindLoopBody(&stmt->body, stmt->label);
        break;
      case StmtKind::kForRange:
        BindFor(stmt);
        break;
      case StmtKind::kExit:
      case StmtKind::kContinue:
        BindExitOrContinue(stmt);
        break;
      case StmtKind::kReturn:
        BindReturn(stmt);
        break;
      case StmtKind::kRaise:
        BindRaise(stmt);
        break;
      case StmtKind::kBlock:
        BindBlock(stmt);
        break;
      case StmtKind::kInsert:
        BindInsert(stmt);
        break;
      case StmtKind::kUpdate:
      case StmtKind::kDelete:
        BindUpdateOrDelete(stmt);
        break;
      case StmtKind::kSelectInto:
      case StmtKind::kSelectValues:
        BindSelectInto(stmt);
        break;
      case StmtKind::kForQuery:
        BindSelectInto(stmt);
        BindLoopBody(&stmt->body, stmt->label);
        break;
      case StmtKind::kSelectRows:
        BindSelectRows(stmt);
        break;
      case StmtKind::kCallRoutine:
        BindCallStatement(stmt);
        break;
      case StmtKind::kPerform:
        BindPerform(stmt);
        break;
      case StmtKind::kGetDiagnostics:
        BindGetDiagnostics(stmt);
        break;
      case StmtKind::kNullStmt:
      case StmtKind::kSubquery:  // bound with its expression (BindSubquery), never a statement
        break;
    }
  }

  void BindDeclare(Stmt *stmt) {
    Variable var;
    var.name = stmt->name;
    var.not_null = stmt->not_null;
    var.pos = stmt->pos;
    if (!TypeFromName(stmt->type_name.name, stmt->type_name.modifiers, &var.type, &var.typmod))
      Fail(stmt->type_name.pos,
           "type \"" + stmt->type_name.name + "\" is not supported by natively compiled routines",
           "Supported types: boolean, smallint, integer, bigint, real, double precision, "
           "numeric, text, date, time, timestamp, timestamptz, interval, uuid, bytea.");
    if (var.not_null && !stmt->value)
      Fail(stmt->pos,
           "variable \"" + var.name + "\" must have a default value, since it's declared NOT NULL");
    if (stmt->value) {
      BindExpr(stmt->value.get(), nullptr);
      CoerceForAssignment(&stmt->value, var.type, "variable \"" + var.name + "\"", var.typmod);
    }
    stmt->variable = Declare(var, stmt->pos);
  }

  void BindLoopBody(StmtList *body, const std::string &label) {
    ++loop_depth_;
    labels_.push_back(Label{label, false});
    BindList(body);
    labels_.pop_back();
    --loop_depth_;
  }

  // As PL/pgSQL's grammar: without a label, the innermost loop; with one,
  // the enclosing loop or block of that label (CONTINUE: a loop).
  void BindExitOrContinue(Stmt *stmt) {
    const bool exit = stmt->kind == StmtKind::kExit;
    if (stmt->name.empty() && loop_depth_ == 0)
      Fail(stmt->pos, std::string(exit ? "EXIT" : "CONTINUE") + " cannot be used outside a loop");
    if (!stmt->name.empty()) {
      auto it = std::find_if(labels_.rbegin(), labels_.rend(),
                             [stmt](const Label &label) { return label.name == stmt->name; });
      if (it == labels_.rend())
        Fail(stmt->pos, "there is no label \"" + stmt->name +
                            "\" attached to any block or loop enclosing this statement");
      if (it->block && !exit)
        Fail(stmt->pos, "block label \"" + stmt->name + "\" cannot be used in CONTINUE");
    }
    if (stmt->value) RequireBool(&stmt->value, "WHEN");
  }

  void BindFor(Stmt *stmt) {
    for (ExprPtr *bound : {&stmt->low, &stmt->high, &stmt->step}) {
      if (!*bound) continue;
      BindExpr(bound->get(), nullptr);
      CoerceForAssignment(bound, Type::kInt4, "FOR loop bound");
    }
    scopes_.emplace_back();
    Variable var;
    var.name = stmt->name;
    var.type = Type::kInt4;
    var.pos = stmt->pos;
    stmt->variable = Declare(var, stmt->pos);
    BindLoopBody(&stmt->body, stmt->label);
    scopes_.pop_back();
  }

  void BindReturn(Stmt *stmt) {
    const Signature &sig = routine_.signature;
    if (sig.returns_set || !routine_.outputs.empty()) {
      if (stmt->value)
        Fail(stmt->value->pos,
             sig.returns_set ? "RETURN cannot have a parameter in a set-returning function"
                             : "RETURN cannot have a parameter in a routine with OUT parameters",
             sig.returns_set ? "Rows are returned by SELECT statements without INTO."
                             : "Assign the OUT parameters; RETURN only ends the routine.");
      return;
    }
    if (sig.returns_void) {
      if (stmt->value)
        Fail(stmt->value->pos, sig.is_procedure
                                   ? "RETURN cannot have a parameter in a procedure"
                                   : "RETURN cannot have a parameter in function returning void");
      return;
    }
    if (!stmt->value)
      Fail(stmt->pos, "missing expression at or near \";\"",
           "A function that returns a value needs RETURN with an expression.");
    BindExpr(stmt->value.get(), nullptr);
    CoerceForAssignment(&stmt->value, sig.result, "return value");
  }

  // A block's statements are a scope of their own; with EXCEPTION
  // handlers, each handler's statements are one too, where SQLSTATE and
  // SQLERRM name the caught error (as in PL/pgSQL).
  void BindBlock(Stmt *stmt) {
    labels_.push_back(Label{stmt->label, true});
    BindBlockContents(stmt);
    labels_.pop_back();
  }

  void BindBlockContents(Stmt *stmt) {
    if (stmt->handlers.empty()) {
      BindList(&stmt->body);
      return;
    }
    stmt->block_depth = open_blocks_++;
    routine_.block_depth = std::max(routine_.block_depth, open_blocks_);
    BindList(&stmt->body);
    for (size_t i = 0; i < stmt->handlers.size(); ++i) {
      for (const ExceptionCondition &condition : stmt->handlers[i])
        if (condition.name != "others" && condition.sqlstates.empty())
          FailWithCode(condition.pos, "42704",
                       "unrecognized exception condition \"" + condition.name + "\"", "");
      scopes_.emplace_back();
      Variable var;
      var.type = Type::kText;
      var.pos = stmt->pos;
      var.name = "sqlstate";
      stmt->sqlstate_variables.push_back(Declare(var, stmt->pos));
      var.name = "sqlerrm";
      stmt->sqlerrm_variables.push_back(Declare(var, stmt->pos));
      handler_depths_.push_back(stmt->block_depth);
      BindList(&stmt->branches[i]);
      handler_depths_.pop_back();
      scopes_.pop_back();
    }
    --open_blocks_;
  }

  void BindRaise(Stmt *stmt) {
    if (stmt->reraise) {  // PL/pgSQL finds this out when the RAISE runs; here at CREATE
      if (handler_depths_.empty())
        FailWithCode(stmt->pos, "0Z002",
                     "RAISE without parameters cannot be used outside an exception handler", "");
      stmt->block_depth = handler_depths_.back();
      return;
    }
    size_t placeholders = 0;
    for (size_t i = 0; i < stmt->format.size(); ++i) {
      if (stmt->format[i] != '%') continue;
      if (i + 1 < stmt->format.size() && stmt->format[i + 1] == '%')
        ++i;
      else
        ++placeholders;
    }
    if (placeholders > stmt->args.size()) Fail(stmt->pos, "too few parameters specified for RAISE");
    if (placeholders < stmt->args.size())
      Fail(stmt->pos, "too many parameters specified for RAISE");
    for (ExprPtr &arg : stmt->args) {
      BindExpr(arg.get(), nullptr);
      CoerceImplicit(&arg, Type::kText);
    }
  }

  // PostgreSQL's rewriter refuses values for these columns (428C9).
  static void CheckWritable(const TableDesc &table, int column, SourcePos pos, bool update) {
    const ColumnDesc &desc = table.columns[column];
    if (!desc.generated && !desc.identity_always) return;
    std::string message =
        update ? "column \"" + desc.name + "\" can only be updated to DEFAULT"
               : "cannot insert a non-DEFAULT value into column \"" + desc.name + "\"";
    std::string why = desc.generated ? "Column \"" + desc.name + "\" is a generated column."
                                     : "Column \"" + desc.name +
                                           "\" is an identity column defined as GENERATED ALWAYS.";
    FailWithCode(pos, "428C9", message,
                 why + " Leave it out or write DEFAULT: PostgreSQL computes it.");
  }

  void BindInsert(Stmt *stmt) {
    const TableDesc &table = ResolveTable(&stmt->target);
    std::vector<int> columns;
    if (stmt->columns.empty()) {
      for (size_t i = 0; i < table.columns.size(); ++i)
        if (!table.columns[i].dropped) columns.push_back(static_cast<int>(i));
    } else {
      for (size_t i = 0; i < stmt->columns.size(); ++i) {
        int column = FindColumn(table, stmt->columns[i], stmt->column_pos[i]);
        if (column < 0)
          Fail(stmt->column_pos[i], "column \"" + stmt->columns[i] + "\" of relation \"" +
                                        table.display_name + "\" does not exist");
        for (int seen : columns)
          if (seen == column)
            Fail(stmt->column_pos[i],
                 "column \"" + stmt->columns[i] + "\" specified more than once");
        columns.push_back(column);
      }
    }
    if (!stmt->from.empty()) {
      BindInsertQuery(stmt, table, columns);
      return;
    }
    for (auto &row : stmt->rows) {
      if (row.size() > columns.size())
        Fail(row[columns.size()]->pos, "INSERT has more expressions than target columns");
      if (!stmt->columns.empty() && row.size() < columns.size())
        Fail(stmt->pos, "INSERT has more target columns than expressions");
      for (size_t i = 0; i < row.size(); ++i)
        BindColumnValue(table, columns[i], &row[i], nullptr, false, row[i]->pos);
    }
    columns.resize(stmt->rows.empty() ? 0 : stmt->rows[0].size());
    for (auto &row : stmt->rows)
      if (row.size() != columns.size())
        Fail(row.empty() ? stmt->pos : row[0]->pos, "VALUES lists must all be the same length");
    stmt->column_numbers = columns;
  }

  // A VALUES item or SET value of `column`, converted to its type; DEFAULT
  // (also for generated and GENERATED ALWAYS columns, as in PostgreSQL)
  // takes the column's type and is left to the runtime. Errors about the
  // column itself are reported at `column_pos`.
  void BindColumnValue(const TableDesc &table, int column, ExprPtr *value, const Sources *sources,
                       bool update, SourcePos column_pos) {
    Type type = ColumnType(table, column, column_pos);
    if ((*value)->kind == ExprKind::kDefault) {
      (*value)->type = type;
      return;
    }
    CheckWritable(table, column, column_pos, update);
    BindExpr(value->get(), sources);
    CoerceForAssignment(value, type, "column \"" + table.columns[column].name + "\"",
                        table.columns[column].typmod);
  }

  // INSERT ... SELECT: the select list fills `columns`, in order.
  void BindInsertQuery(Stmt *stmt, const TableDesc &table, std::vector<int> columns) {
    size_t n = stmt->select_list.size();
    if (n > columns.size())
      Fail(stmt->select_list[columns.size()]->pos,
           "INSERT has more expressions than target columns");
    if (!stmt->columns.empty() && n < columns.size())
      Fail(stmt->pos, "INSERT has more target columns than expressions");
    columns.resize(n);
    BindQuery(stmt, [this, &table, &columns](size_t i, ExprPtr *item) {
      CheckWritable(table, columns[i], (*item)->pos, false);
      CoerceForAssignment(item, ColumnType(table, columns[i], (*item)->pos),
                          "column \"" + table.columns[columns[i]].name + "\"",
                          table.columns[columns[i]].typmod);
    });
    stmt->column_numbers = columns;
  }

  // How a query's expressions name a FROM item: its alias, else its table's name.
  static const std::string &QualifierOf(const TableRef &ref) {
    return ref.alias.empty() ? ref.name.back() : ref.alias;
  }

  Sources SourcesFor(std::vector<TableRef> *refs) {
    Sources sources;
    for (TableRef &ref : *refs) {
      const TableDesc *desc = ref.query ? &BindFromSubquery(&ref, *refs) : &ResolveTable(&ref);
      Source source{ref.table, desc, QualifierOf(ref)};
      for (const Source &other : sources)
        if (other.qualifier == source.qualifier)
          FailWithCode(ref.pos, "42712",
                       "table name \"" + source.qualifier + "\" specified more than once", "");
      sources.push_back(source);
    }
    return sources;
  }

  // A subquery in FROM is bound as a subquery of the query it stands in,
  // with none of that query's items in scope (there is no LATERAL: the
  // empty level no_sources_ stands for them). Its select list becomes the
  // columns of a table no catalog holds (from_subqueries_).
  const TableDesc &BindFromSubquery(TableRef *ref, const std::vector<TableRef> &items) {
    Stmt *query = ref->query.get();
    std::vector<std::string> names = OutputNames(*query);  // none yet for SELECT *
    const Sources *saved_sources = current_sources_;
    hidden_qualifiers_.emplace_back();
    for (const TableRef &item : items) hidden_qualifiers_.back().push_back(QualifierOf(item));
    BindOneLevelIn(&no_sources_, -1, [&] {
      BindQuery(query, [this](size_t i, ExprPtr *item) { TypeUntypedNull(i, item); });
    });
    hidden_qualifiers_.pop_back();
    current_sources_ = saved_sources;
    if (query->select_star.line > 0) names = OutputNames(*query);  // the columns * stands for
    if (ref->column_aliases.size() > names.size())
      FailWithCode(ref->pos, "42P10",
                   "table \"" + ref->alias + "\" has " + std::to_string(names.size()) +
                       " columns available but " + std::to_string(ref->column_aliases.size()) +
                       " columns specified",
                   "");
    std::copy(ref->column_aliases.begin(), ref->column_aliases.end(), names.begin());
    TableDesc &table = from_subqueries_.emplace_back();
    table.found = true;
    table.display_name = ref->alias;
    for (size_t i = 0; i < names.size(); ++i) {
      ColumnDesc column;
      column.name = names[i];
      column.type = query->select_list[i]->type;
      column.type_name = DisplayTypeName(column.type);
      table.columns.push_back(column);
    }
    return table;
  }

  // The names PostgreSQL gives a query's output columns (its FigureColname):
  // the AS name; else a column's or variable's name, a function's, the
  // name of a scalar subquery's one column, "exists", "case", or for a
  // cast of something unnamed its type's; else "?column?". Taken from the
  // tree as written, before binding adds casts of its own.
  static std::vector<std::string> OutputNames(const Stmt &query) {
    std::vector<std::string> names;
    for (size_t i = 0; i < query.select_list.size(); ++i)
      names.push_back(!query.select_aliases[i].empty() ? query.select_aliases[i]
                                                       : OutputName(*query.select_list[i]));
    return names;
  }

  static std::string OutputName(const Expr &expr) {
    static const char kUnnamed[] = "?column?";
    switch (expr.kind) {
      case ExprKind::kName:
        return expr.parts.back();
      case ExprKind::kCall:
        return expr.op;
      case ExprKind::kCase:
        return "case";
      case ExprKind::kExists:
        return "exists";
      case ExprKind::kScalarSubquery:
        return OutputNames(*expr.query)[0];
      case ExprKind::kCast: {
        std::string inner = OutputName(*expr.args[0]);
        return inner != kUnnamed ? inner : PostgresTypeName(expr.cast_type.name);
      }
      default:
        return kUnnamed;
    }
  }

  // A type name as written, as PostgreSQL's grammar names the type (int is int4).
  static std::string PostgresTypeName(const std::string &name) {
    static const std::map<std::string, std::string> kCanonical = {
        {"boolean", "bool"},
        {"smallint", "int2"},
        {"int", "int4"},
        {"integer", "int4"},
        {"bigint", "int8"},
        {"real", "float4"},
        {"double precision", "float8"},
        {"float", "float8"},
        {"decimal", "numeric"},
        {"character varying", "varchar"},
        {"char", "bpchar"},
        {"character", "bpchar"},
        {"time without time zone", "time"},
        {"timestamp without time zone", "timestamp"},
        {"timestamp with time zone", "timestamptz"},
    };
    auto found = kCanonical.find(name);
    return found == kCanonical.end() ? name : found->second;
  }

  void BindWhere(Stmt *stmt, const Sources &sources) {
    current_sources_ = &sources;
    if (stmt->where) RequireBool(&stmt->where, "WHERE");
    for (size_t s = 0; s < stmt->from.size(); ++s) {
      TableRef &ref = stmt->from[s];
      if (!ref.left_join) continue;
      RequireBool(&ref.on, "JOIN/ON");
      int last = LastSource(ref.on.get());
      if (last > static_cast<int>(s)) FailInvalidReference(ref.on->pos, sources[last].qualifier);
    }
    current_sources_ = nullptr;
    for (size_t s = 0; s < stmt->from.size(); ++s)
      if (CanPullUp(stmt->from[s])) PullUp(stmt, static_cast<int>(s));
    PlanAccess(stmt);
  }

  // A subquery in FROM that PostgreSQL's planner would pull up into the
  // query around it, here of a simple shape: tables joined by WHERE (no
  // subquery or LEFT JOIN among them), each output a column of them or an
  // expression that may be computed where it is read (PullableOutput), a
  // WHERE that reads nothing but those tables and variables, and nothing
  // that needs its rows apart (aggregates, GROUP BY, DISTINCT, ORDER BY,
  // LIMIT, OFFSET). Not a LEFT JOIN item, whose conditions decide matches
  // rather than rows, and whose outputs must be NULL where nothing matched.
  static bool CanPullUp(const TableRef &ref) {
    const Stmt *query = ref.query.get();
    if (query == nullptr || ref.left_join || query->from.empty()) return false;
    for (const TableRef &inner : query->from)
      if (inner.query || inner.left_join) return false;
    if (!query->aggregates.empty() || !query->group_by.empty() || query->having ||
        query->distinct || !query->distinct_on.empty() || !query->order_by.empty() ||
        query->limit || query->offset)
      return false;
    for (const ExprPtr &item : query->select_list)
      if (!PullableOutput(*item)) return false;
    return !query->where || (!HasSubquery(query->where.get()) && !ReadsAround(*query->where));
  }

  // An output the query around may compute itself, once per read of it
  // (PostgreSQL's planner substitutes it the same way): it reads only the
  // subquery's tables and variables, and nothing in it gives another answer
  // when computed twice (random(), clock_timestamp(), a natively compiled
  // function, which may write) or needs state of its own (a subquery, a
  // value set, a variable of the binder's). Aggregates, and with them
  // aggregate ORDER BY and group_key, CanPullUp has refused already.
  static bool PullableOutput(const Expr &expr) {
    if (expr.query || expr.callee >= 0 || expr.value_set >= 0 || expr.kind == ExprKind::kLet ||
        expr.runtime == MEMOPT_FN_RANDOM || expr.runtime == MEMOPT_FN_CLOCK_TIMESTAMP)
      return false;
    if (expr.kind == ExprKind::kName && expr.variable < 0 && (expr.column < 0 || expr.outer != 0))
      return false;
    for (const ExprPtr &arg : expr.args)
      if (!PullableOutput(*arg)) return false;
    return true;
  }

  // A bound copy of a pullable output, read `outer` levels in from FROM item
  // `s`: its reads of the subquery's table j become reads of item s + j.
  static ExprPtr CloneOutput(const Expr &expr, int s, int outer) {
    ExprPtr copy = CopyParsedFields(expr);
    for (const ExprPtr &arg : expr.args) copy->args.push_back(CloneOutput(*arg, s, outer));
    copy->type = expr.type;
    copy->variable = expr.variable;
    copy->column = expr.column;
    if (expr.kind == ExprKind::kName && expr.column >= 0) {
      copy->source = s + expr.source;
      copy->outer = outer;
    }
    copy->function = expr.function;
    copy->runtime = expr.runtime;
    copy->swap_operands = expr.swap_operands;
    copy->typmod = expr.typmod;
    copy->explicit_cast = expr.explicit_cast;
    return copy;
  }

  static bool ReadsAround(const Expr &expr) {
    if (expr.kind == ExprKind::kName && expr.column >= 0 && expr.outer > 0) return true;
    for (const ExprPtr &arg : expr.args)
      if (ReadsAround(*arg)) return true;
    return false;
  }

  // FROM item `s` becomes the subquery's tables, items s, s + 1, ... (the
  // items after it move up): the query's reads of output column k read the
  // table column it is, or a copy of its expression, and the subquery's
  // WHERE joins the query's. Its conditions may then choose the tables'
  // indexes and join order (PlanAccess), as the planner's pushed-down quals
  // do, instead of its rows being computed apart and each filtered.
  void PullUp(Stmt *stmt, int s) {
    std::unique_ptr<Stmt> query = std::move(stmt->from[s].query);
    int added = static_cast<int>(query->from.size()) - 1;
    // Collected first and changed after the walk, which would otherwise
    // walk into the copies. The binder owns the tree: the walkers are const
    // only for their readers.
    std::vector<Expr *> reads;
    std::vector<Expr *> later_reads;
    auto collect = [&](const Expr &name) {
      if (name.source == s) reads.push_back(const_cast<Expr *>(&name));
      if (name.source > s) later_reads.push_back(const_cast<Expr *>(&name));
    };
    ForEachQueryRead(*stmt, 0, collect);
    for (Expr *read : later_reads) read->source += added;  // the items after the subquery's
    for (Expr *read : reads) {
      const Expr &output = *query->select_list[read->column];
      if (output.kind == ExprKind::kName && output.column >= 0) {
        read->source = s + output.source;
        read->column = output.column;
        continue;
      }
      int group_key = read->group_key;  // the read's place in a grouped query
      *read = std::move(*CloneOutput(output, s, read->outer));
      read->group_key = group_key;
    }
    if (query->where) {
      auto to_item = [s](const Expr &name) { const_cast<Expr &>(name).source += s; };
      ForEachSourceRead(query->where.get(), 0, to_item);
      stmt->where = stmt->where ? BoundAnd(std::move(stmt->where), std::move(query->where))
                                : std::move(query->where);
    }
    // The subquery's tables take its place, planned afresh with the query's
    // WHERE; a lone table keeps the subquery's alias.
    std::vector<TableRef> tables(query->from.size());
    for (size_t j = 0; j < tables.size(); ++j) {
      tables[j].name = query->from[j].name;
      tables[j].alias = added == 0 ? stmt->from[s].alias : query->from[j].alias;
      tables[j].pos = added == 0 ? stmt->from[s].pos : query->from[j].pos;
      tables[j].table = query->from[j].table;
    }
    stmt->from[s] = std::move(tables[0]);
    stmt->from.insert(stmt->from.begin() + s + 1, std::make_move_iterator(tables.begin() + 1),
                      std::make_move_iterator(tables.end()));
  }

  static ExprPtr BoundAnd(ExprPtr left, ExprPtr right) {
    auto both = std::make_unique<Expr>();
    both->kind = ExprKind::kBinary;
    both->op = "and";
    both->pos = left->pos;
    both->type = Type::kBool;
    both->args.push_back(std::move(left));
    both->args.push_back(std::move(right));
    return both;
  }

  void BindUpdateOrDelete(Stmt *stmt) {
    std::vector<TableRef> targets(1);
    targets[0] = std::move(stmt->target);
    Sources sources = SourcesFor(&targets);
    stmt->target = std::move(targets[0]);
    const TableDesc &table = routine_.tables[sources[0].table];
    for (size_t i = 0; i < stmt->columns.size(); ++i) {
      int column = FindColumn(table, stmt->columns[i], stmt->column_pos[i]);
      if (column < 0)
        Fail(stmt->column_pos[i], "column \"" + stmt->columns[i] + "\" of relation \"" +
                                      table.display_name + "\" does not exist");
      for (int seen : stmt->column_numbers)
        if (seen == column)
          Fail(stmt->column_pos[i],
               "multiple assignments to same column \"" + stmt->columns[i] + "\"");
      stmt->column_numbers.push_back(column);
      BindColumnValue(table, column, &stmt->set_values[i], &sources, true, stmt->column_pos[i]);
    }
    BindWhere(stmt, sources);
  }

  // SELECT INTO, FOR over a query, and SELECT INTO without FROM
  // (kSelectValues: one row of expressions): each item converted to its
  // target's type.
  void BindSelectInto(Stmt *stmt) {
    if (stmt->select_list.size() != stmt->into.size())
      Fail(stmt->pos, "query has " + std::to_string(stmt->into.size()) + " targets but " +
                          std::to_string(stmt->select_list.size()) + " values");
    BindTargets(stmt);
    auto convert = [this, stmt](size_t i, ExprPtr *item) {
      const Variable &var = routine_.variables[stmt->into_variables[i]];
      CoerceForAssignment(item, var.type, "variable \"" + var.name + "\"", var.typmod);
    };
    if (stmt->kind != StmtKind::kSelectValues) return BindQuery(stmt, convert);
    for (size_t i = 0; i < stmt->select_list.size(); ++i) {
      BindExpr(stmt->select_list[i].get(), nullptr);
      convert(i, &stmt->select_list[i]);
    }
  }

  // The variables a SELECT INTO or GET DIAGNOSTICS assigns (into_variables).
  void BindTargets(Stmt *stmt) {
    for (size_t i = 0; i < stmt->into.size(); ++i) {
      int variable = FindVariable(stmt->into[i]);
      if (variable < 0)
        Fail(stmt->into_pos[i], "variable \"" + stmt->into[i] + "\" does not exist");
      stmt->into_variables.push_back(variable);
    }
  }

  // A select-list item that is an untyped NULL, where nothing converts it:
  // text, so that sorts and variables have a type for it.
  void TypeUntypedNull(size_t, ExprPtr *item) {
    if ((*item)->type == Type::kNull) CoerceImplicit(item, Type::kText);
  }

  // PERFORM: a query whose select list is computed and dropped; without
  // FROM, expressions computed once.
  void BindPerform(Stmt *stmt) {
    if (stmt->from.empty()) {
      for (ExprPtr &item : stmt->select_list) BindExpr(item.get(), nullptr);
      return;
    }
    BindQuery(stmt, [this](size_t i, ExprPtr *item) { TypeUntypedNull(i, item); });
  }

  // GET DIAGNOSTICS v = ROW_COUNT: assignments from the routine's ROW_COUNT
  // variable (declared at the first use); GET STACKED DIAGNOSTICS v = item:
  // from a hidden text variable that codegen sets to the caught error's
  // field first. Each converted to its target's type.
  void BindGetDiagnostics(Stmt *stmt) {
    Variable source;
    if (stmt->stacked) {
      if (handler_depths_.empty())  // PL/pgSQL finds this out when it runs; here at CREATE
        FailWithCode(stmt->pos, "0Z002",
                     "GET STACKED DIAGNOSTICS cannot be used outside an exception handler", "");
      stmt->block_depth = handler_depths_.back();
      source.name = "(error field)";
      source.type = Type::kText;
      stmt->variable = DeclareHidden(source);
    } else if (routine_.row_count_variable < 0) {
      source.name = "(row_count)";
      source.type = Type::kInt8;
      routine_.row_count_variable = DeclareHidden(source);
    }
    int read = stmt->stacked ? stmt->variable : routine_.row_count_variable;
    BindTargets(stmt);
    for (size_t i = 0; i < stmt->into.size(); ++i) {
      ExprPtr value = std::make_unique<Expr>();
      value->kind = ExprKind::kName;
      value->pos = stmt->into_pos[i];
      value->parts.push_back(routine_.variables[read].name);
      value->variable = read;
      value->type = routine_.variables[read].type;
      const Variable &target = routine_.variables[stmt->into_variables[i]];
      CoerceForAssignment(&value, target.type, "variable \"" + target.name + "\"", target.typmod);
      stmt->set_values.push_back(std::move(value));
    }
  }

  // SELECT without INTO: a row of the set-returning function's result per match.
  void BindSelectRows(Stmt *stmt) {
    if (!routine_.signature.returns_set)
      Fail(stmt->pos, "SELECT without INTO is only allowed in set-returning functions",
           "Use SELECT ... INTO, or declare the function RETURNS TABLE (...) or RETURNS SETOF.");
    const std::vector<Type> &types = routine_.row_types;
    if (stmt->select_list.size() != types.size())
      FailWithCode(stmt->pos, "42804",
                   "query returns " + std::to_string(stmt->select_list.size()) +
                       " columns but the function's rows have " + std::to_string(types.size()),
                   "");
    BindQuery(stmt, [this, &types](size_t i, ExprPtr *item) {
      CoerceForAssignment(item, types[i], "column " + std::to_string(i + 1) + " of the result");
    });
  }

  // --- queries ---------------------------------------------------------------

  // FROM, WHERE, the select list (bound, then converted by `convert` to what
  // receives entry i), GROUP BY, HAVING, ORDER BY, LIMIT and OFFSET.
  void BindQuery(Stmt *stmt, const std::function<void(size_t, ExprPtr *)> &convert) {
    Sources sources = SourcesFor(&stmt->from);
    if (stmt->select_star.line > 0) ExpandStar(stmt, sources);
    if (stmt->distinct) GroupBySelectList(stmt);
    for (ExprPtr &key : stmt->group_by) BindGroupKey(stmt, &key, sources);
    aggregates_ = &stmt->aggregates;
    for (size_t i = 0; i < stmt->select_list.size(); ++i) {
      BindExpr(stmt->select_list[i].get(), &sources);
      convert(i, &stmt->select_list[i]);
    }
    if (stmt->having) {
      current_sources_ = &sources;
      RequireBool(&stmt->having, "HAVING");
      current_sources_ = nullptr;
    }
    for (SortItem &item : stmt->order_by) BindSortItem(&item, stmt, sources);
    if (stmt->distinct) RequireDistinctOrder(*stmt);
    if (!stmt->distinct_on.empty()) BindDistinctOn(stmt, sources);
    aggregates_ = nullptr;
    if (!stmt->group_by.empty() || !stmt->aggregates.empty() || stmt->having) {
      for (ExprPtr &item : stmt->select_list) RequireGrouped(item.get(), *stmt, sources);
      if (stmt->having) RequireGrouped(stmt->having.get(), *stmt, sources);
      for (SortItem &item : stmt->order_by)
        if (item.output < 0) RequireGrouped(item.expr.get(), *stmt, sources);
    }
    BindCount(&stmt->limit, "LIMIT");
    BindCount(&stmt->offset, "OFFSET");
    BindWhere(stmt, sources);
    PlanStages(stmt);
  }

  // SELECT * (of a subquery in FROM; the parser refuses it elsewhere): each
  // column of each FROM item in order, qualified by its item, as
  // PostgreSQL expands it; a table's dropped columns are not there.
  static void ExpandStar(Stmt *stmt, const Sources &sources) {
    for (const Source &source : sources) {
      for (const ColumnDesc &column : source.desc->columns) {
        if (column.dropped) continue;
        auto name = std::make_unique<Expr>();
        name->kind = ExprKind::kName;
        name->pos = stmt->select_star;
        name->parts = {source.qualifier, column.name};
        stmt->select_list.push_back(std::move(name));
        stmt->select_aliases.emplace_back();
      }
    }
  }

  // SELECT DISTINCT groups by every select-list entry (NULLs are not
  // distinct from each other, as in PostgreSQL); each group is one row.
  void GroupBySelectList(Stmt *stmt) {
    if (!stmt->group_by.empty() || stmt->having)
      Fail(
          stmt->pos,
          "SELECT DISTINCT with GROUP BY or HAVING is not supported in natively compiled routines");
    for (const ExprPtr &item : stmt->select_list) {
      if (CallsAggregate(*item))
        Fail(item->pos,
             "SELECT DISTINCT with aggregates is not supported in natively compiled routines");
      stmt->group_by.push_back(CopyOfOutput(*item));
    }
  }

  // Whether an unbound expression calls count, sum, min, max or avg.
  static bool CallsAggregate(const Expr &expr) {
    if (expr.kind == ExprKind::kCall) {
      auto it = BuiltinFunctions().find(expr.op);
      if (it != BuiltinFunctions().end() && it->second >= BuiltinFunction::kCount) return true;
    }
    for (const ExprPtr &arg : expr.args)
      if (CallsAggregate(*arg)) return true;
    return false;
  }

  // A select-list entry, unbound, as a GROUP BY item of its own.
  static ExprPtr CopyOfOutput(const Expr &item) {
    if (HasSubquery(&item))
      Fail(item.pos,
           "grouping by a select-list entry with a subquery is not supported in natively compiled "
           "routines");
    return CloneExpr(item);
  }

  // GROUP BY n names select-list entry n, and a bare name that is no column
  // an entry's AS name (columns first, as in PostgreSQL); anything else is
  // an expression of the FROM items' columns.
  void BindGroupKey(Stmt *stmt, ExprPtr *key, const Sources &sources) {
    const Expr &written = **key;
    if (written.kind == ExprKind::kInt) {
      long long n = std::strtoll(written.text.c_str(), nullptr, 10);
      if (n < 1 || n > static_cast<long long>(stmt->select_list.size()))
        FailWithCode(written.pos, "42P10",
                     "GROUP BY position " + written.text + " is not in select list", "");
      *key = CopyOfOutput(*stmt->select_list[n - 1]);
    } else if (written.kind == ExprKind::kName && written.parts.size() == 1) {
      int column = -1, outer = 0;
      const TableDesc *table = nullptr;
      FindColumnInScope(&written, &sources, &column, &outer, &table);
      int output = -1;
      for (size_t i = 0; column < 0 && i < stmt->select_aliases.size(); ++i) {
        if (stmt->select_aliases[i] != written.parts[0]) continue;
        if (output >= 0)
          FailWithCode(written.pos, "42702", "GROUP BY \"" + written.parts[0] + "\" is ambiguous",
                       "");
        output = static_cast<int>(i);
      }
      if (output >= 0) *key = CopyOfOutput(*stmt->select_list[output]);
    }
    if (HasSubquery(key->get()))
      Fail((*key)->pos, "subqueries in GROUP BY are not supported in natively compiled routines");
    if (BindExpr(key->get(), &sources) == Type::kNull) CoerceImplicit(key, Type::kText);
  }

  // SELECT DISTINCT ON (items): as PostgreSQL, the items must be the leading
  // ORDER BY items (in any order) until one list runs out; those ORDER BY
  // lacks are added after its own. The rows are then sorted with the items
  // first, and the first of each run equal in them is kept.
  void BindDistinctOn(Stmt *stmt, const Sources &sources) {
    std::vector<SortItem> &items = stmt->distinct_on;
    for (SortItem &item : items) BindSortItem(&item, stmt, sources);
    std::vector<bool> matched(items.size(), false);
    size_t leading = std::min(items.size(), stmt->order_by.size());
    for (size_t i = 0; i < leading; ++i) {
      size_t j = 0;
      while (j < items.size() && (matched[j] || !SameSortKey(*stmt, stmt->order_by[i], items[j])))
        ++j;
      if (j == items.size())
        FailWithCode(FirstUnmatched(items, matched), "42P10",
                     "SELECT DISTINCT ON expressions must match initial ORDER BY expressions", "");
      matched[j] = true;
    }
    // The matched items stay in distinct_on (the tree owns what was bound in
    // them); the others move to the end of ORDER BY.
    std::vector<SortItem> kept;
    for (size_t j = 0; j < items.size(); ++j)
      (matched[j] ? kept : stmt->order_by).push_back(std::move(items[j]));
    stmt->distinct_on_keys = static_cast<int>(items.size());
    items = std::move(kept);
  }

  static SourcePos FirstUnmatched(const std::vector<SortItem> &items,
                                  const std::vector<bool> &matched) {
    for (size_t j = 0; j < items.size(); ++j)
      if (!matched[j]) return items[j].pos;
    return items[0].pos;
  }

  // Whether two bound sort items sort by the same value (a select-list
  // entry named by position or name, or the same expression).
  static bool SameSortKey(const Stmt &stmt, const SortItem &a, const SortItem &b) {
    const Expr &x = a.output >= 0 ? *stmt.select_list[a.output] : *a.expr;
    const Expr &y = b.output >= 0 ? *stmt.select_list[b.output] : *b.expr;
    return (a.output >= 0 && a.output == b.output) || SameExpr(x, y);
  }

  // For SELECT DISTINCT, ORDER BY may only sort by what the rows hold.
  void RequireDistinctOrder(const Stmt &stmt) {
    for (const SortItem &item : stmt.order_by) {
      if (item.output >= 0) continue;
      bool listed = false;
      for (const ExprPtr &key : stmt.group_by) listed = listed || SameExpr(*item.expr, *key);
      if (!listed)
        FailWithCode(item.expr->pos, "42P10",
                     "for SELECT DISTINCT, ORDER BY expressions must appear in select list", "");
    }
  }

  // Whether two bound expressions compute the same value from the same
  // inputs: the same tree, names bound alike (`lets` pairs the $let
  // variables of IN lists and BETWEENs met on the way).
  static bool SameExpr(const Expr &a, const Expr &b,
                       std::vector<std::pair<int, int>> *lets = nullptr) {
    std::vector<std::pair<int, int>> own;
    if (lets == nullptr) lets = &own;
    if (a.kind != b.kind || a.type != b.type || a.text != b.text || a.op != b.op ||
        a.negated != b.negated || a.has_else != b.has_else || a.source != b.source ||
        a.column != b.column || a.outer != b.outer || a.function != b.function ||
        a.callee != b.callee || a.runtime != b.runtime || a.swap_operands != b.swap_operands ||
        a.typmod != b.typmod || a.explicit_cast != b.explicit_cast || a.aggregate >= 0 ||
        b.aggregate >= 0 || a.query || b.query || a.args.size() != b.args.size())
      return false;
    if (a.kind == ExprKind::kLet && a.variable >= 0) lets->emplace_back(a.variable, b.variable);
    if (a.variable != b.variable &&
        std::find(lets->begin(), lets->end(), std::make_pair(a.variable, b.variable)) ==
            lets->end())
      return false;
    for (size_t i = 0; i < a.args.size(); ++i)
      if (!SameExpr(*a.args[i], *b.args[i], lets)) return false;
    return true;
  }

  // ORDER BY n names select-list entry n, and a bare name an entry's AS
  // name (before any column, as in PostgreSQL); anything else is an
  // expression.
  void BindSortItem(SortItem *item, Stmt *stmt, const Sources &sources) {
    if (item->nulls_first < 0) item->nulls_first = item->descending ? 1 : 0;
    const Expr &key = *item->expr;
    if (key.kind == ExprKind::kName && key.parts.size() == 1) {
      int output = -1;
      for (size_t i = 0; i < stmt->select_aliases.size(); ++i) {
        if (stmt->select_aliases[i] != key.parts[0]) continue;
        if (output >= 0)
          FailWithCode(key.pos, "42702", "ORDER BY \"" + key.parts[0] + "\" is ambiguous", "");
        output = static_cast<int>(i);
      }
      if (output >= 0) {
        item->output = output;
        item->expr->type = stmt->select_list[output]->type;
        return;
      }
    }
    if (item->expr->kind == ExprKind::kInt) {
      long long n = std::strtoll(item->expr->text.c_str(), nullptr, 10);
      if (n < 1 || n > static_cast<long long>(stmt->select_list.size()))
        FailWithCode(item->expr->pos, "42P10",
                     "ORDER BY position " + item->expr->text + " is not in select list", "");
      item->output = static_cast<int>(n - 1);
      item->expr->type = stmt->select_list[item->output]->type;
      return;
    }
    Type type = BindExpr(item->expr.get(), &sources);
    if (type == Type::kNull) CoerceImplicit(&item->expr, Type::kText);
  }

  // LIMIT / OFFSET: an integer count, computed once from variables.
  void BindCount(ExprPtr *count, const char *what) {
    if (!*count) return;
    Type type = BindExpr(count->get(), nullptr);
    if (type != Type::kNull && !IsInteger(type))
      Fail((*count)->pos, std::string("argument of ") + what + " must be type bigint, not type " +
                              DisplayTypeName(type));
    CoerceImplicit(count, Type::kInt8);
  }

  // The first aggregate of DISTINCT inputs (-1: none). The others must
  // take the same argument (but for the implicit casts BindAggregate adds,
  // which keep distinct values distinct): one sort column brings the equal
  // inputs of a group together for all of them.
  static int FirstDistinctAggregate(const Stmt &stmt) {
    const Expr *first = nullptr;
    int index = -1;
    for (size_t i = 0; i < stmt.aggregates.size(); ++i) {
      const Expr *aggregate = stmt.aggregates[i];
      if (!aggregate->distinct) continue;
      if (first == nullptr) {
        first = aggregate;
        index = static_cast<int>(i);
      } else if (!SameExpr(*StripCast(first->args[0].get()),
                           *StripCast(aggregate->args[0].get()))) {
        Fail(aggregate->pos,
             "DISTINCT aggregates of different arguments in one query are not supported in "
             "natively compiled routines",
             "Compute each in a query of its own.");
      }
    }
    return index;
  }

  // The first aggregate that keeps an ORDER BY (BindAggregateOrder), or
  // nullptr. One sort orders the inputs of all aggregates, so those that
  // keep one must order alike.
  static const Expr *OrderedAggregate(const Stmt &stmt) {
    const Expr *first = nullptr;
    for (const Expr *aggregate : stmt.aggregates) {
      if (aggregate->order_by.empty()) continue;
      if (first == nullptr)
        first = aggregate;
      else if (!SameInputOrder(*first, *aggregate))
        Fail(aggregate->pos,
             "aggregates ordered differently in one query are not supported in natively "
             "compiled routines",
             "Compute each in a query of its own.");
    }
    return first;
  }

  static bool SameInputOrder(const Expr &a, const Expr &b) {
    if (a.order_by.size() != b.order_by.size()) return false;
    size_t a_first = AggregateInputCount(a), b_first = AggregateInputCount(b);
    for (size_t i = 0; i < a.order_by.size(); ++i) {
      const SortItem &x = a.order_by[i], &y = b.order_by[i];
      if (x.descending != y.descending || x.nulls_first != y.nulls_first ||
          !SameExpr(*StripCast(a.args[a_first + i].get()), *StripCast(b.args[b_first + i].get())))
        return false;
    }
    return true;
  }

  // The group stage key that brings equal inputs of DISTINCT aggregates
  // together: ascending, or as the query's aggregate ORDER BY says, which
  // must then order by that input alone.
  static SortStage::Key DistinctInputKey(const Stmt &stmt, const Expr *ordered) {
    SortStage::Key key{stmt.distinct_input, false, false};
    if (ordered == nullptr) return key;
    const Expr &input = *stmt.aggregates[stmt.distinct_input - stmt.group_by.size()]->args[0];
    if (ordered->order_by.size() != 1 ||
        !SameExpr(*StripCast(ordered->args.back().get()), *StripCast(&input)))
      Fail(ordered->order_by[0].pos,
           "an aggregate ordered by anything but the argument of the query's DISTINCT aggregates "
           "is not supported in natively compiled routines",
           "Compute it in a query of its own.");
    key.descending = ordered->order_by[0].descending;
    key.nulls_first = ordered->order_by[0].nulls_first == 1;
    return key;
  }

  // In a grouped query a column may appear only inside an aggregate or
  // inside an expression that is a GROUP BY item; such an expression is
  // marked to be read from its group's row (Expr::group_key).
  void RequireGrouped(Expr *expr, const Stmt &stmt, const Sources &sources) {
    if (expr->aggregate >= 0) return;
    for (size_t k = 0; k < stmt.group_by.size(); ++k) {
      if (!SameExpr(*expr, *stmt.group_by[k])) continue;
      expr->group_key = static_cast<int>(k);
      return;
    }
    if (expr->query)
      Fail(expr->pos,
           "subqueries are not supported in the select list, HAVING or ORDER BY of a grouped "
           "query in natively compiled routines");
    if (expr->kind == ExprKind::kName && expr->column >= 0 && expr->outer == 0) {
      const Source &source = sources[expr->source];
      FailWithCode(expr->pos, "42803",
                   "column \"" + source.qualifier + "." + source.desc->columns[expr->column].name +
                       "\" must appear in the GROUP BY clause or be used in an aggregate function",
                   "");
    }
    for (ExprPtr &arg : expr->args) RequireGrouped(arg.get(), stmt, sources);
  }

  // The rows the query sorts: by GROUP BY columns (then each aggregate's
  // input, then the second inputs of those that have one), and by ORDER BY
  // items (after the select list).
  static void PlanStages(Stmt *stmt) {
    int distinct = FirstDistinctAggregate(*stmt);
    const Expr *ordered = OrderedAggregate(*stmt);
    if (!stmt->group_by.empty() || distinct >= 0 || ordered != nullptr) {
      SortStage &stage = stmt->group_stage;
      for (size_t i = 0; i < stmt->group_by.size(); ++i) {
        stage.types.push_back(stmt->group_by[i]->type);
        stage.keys.push_back(SortStage::Key{static_cast<int>(i), false, false});
      }
      for (const Expr *aggregate : stmt->aggregates)
        stage.types.push_back(aggregate->args.empty() ? Type::kInt8 : aggregate->args[0]->type);
      for (const Expr *aggregate : stmt->aggregates)
        if (HasSecondInput(*aggregate)) stage.types.push_back(aggregate->args[1]->type);
      if (distinct >= 0) {
        stmt->distinct_input = static_cast<int>(stmt->group_by.size()) + distinct;
        stage.keys.push_back(DistinctInputKey(*stmt, ordered));
      } else if (ordered != nullptr) {
        stmt->ordered_aggregate = ordered;
        size_t first = AggregateInputCount(*ordered);
        for (size_t i = 0; i < ordered->order_by.size(); ++i) {
          const SortItem &item = ordered->order_by[i];
          stage.keys.push_back(SortStage::Key{static_cast<int>(stage.types.size()), item.descending,
                                              item.nulls_first == 1});
          stage.types.push_back(ordered->args[first + i]->type);
        }
      }
    }
    if (!stmt->order_by.empty()) {
      SortStage &stage = stmt->order_stage;
      for (const ExprPtr &item : stmt->select_list) stage.types.push_back(item->type);
      for (const SortItem &item : stmt->order_by) {
        int column = item.output;
        if (column < 0) {
          column = static_cast<int>(stage.types.size());
          stage.types.push_back(item.expr->type);
        }
        stage.keys.push_back(SortStage::Key{column, item.descending, item.nulls_first == 1});
      }
    }
  }

  // --- access paths ------------------------------------------------------------

  // Calls fn(name) for each column an expression reads of the FROM items
  // of the query `depth` levels out from it, subqueries included.
  template <typename F>
  static void ForEachSourceRead(const Expr *expr, int depth, F &fn) {
    if (expr->kind == ExprKind::kName && expr->column >= 0 && expr->outer == depth) fn(*expr);
    for (const ExprPtr &arg : expr->args) ForEachSourceRead(arg.get(), depth, fn);
    if (expr->query) ForEachQueryRead(*expr->query, depth + 1, fn);
  }

  // The same for a subquery `depth` levels in, and its subqueries in FROM.
  template <typename F>
  static void ForEachQueryRead(const Stmt &query, int depth, F &fn) {
    ForEachQueryExpression(query, [&](const Expr *e) { ForEachSourceRead(e, depth, fn); });
    ForEachFromSubquery(query, [&](const Stmt &from) { ForEachQueryRead(from, depth + 1, fn); });
  }

  // The last FROM item an expression reads a column of, or -1.
  static int LastSource(const Expr *expr) {
    int last = -1;
    auto read = [&last](const Expr &name) { last = std::max(last, name.source); };
    ForEachSourceRead(expr, 0, read);
    return last;
  }

  // The first FROM item an expression reads a column of (INT_MAX: none).
  static int FirstSource(const Expr *expr) {
    int first = std::numeric_limits<int>::max();
    auto read = [&first](const Expr &name) { first = std::min(first, name.source); };
    ForEachSourceRead(expr, 0, read);
    return first;
  }

  static const Expr *StripCast(const Expr *expr) {
    while (expr->kind == ExprKind::kCast && expr->cast_type.name.empty())
      expr = expr->args[0].get();
    return expr;
  }

  static void Conjuncts(const Expr *expr, std::vector<const Expr *> *out) {
    if (expr->kind == ExprKind::kBinary && expr->op == "and") {
      Conjuncts(expr->args[0].get(), out);
      Conjuncts(expr->args[1].get(), out);
    } else {
      out->push_back(expr);
    }
  }

  // "column = value" of FROM item `source`, where value reads only earlier
  // items: the column and the value, or {-1, nullptr}.
  static std::pair<int, const Expr *> KeyEquality(const Expr *expr, int source) {
    if (expr->kind != ExprKind::kBinary || expr->op != "=") return {-1, nullptr};
    for (int side = 0; side < 2; ++side) {
      const Expr *column = StripCast(expr->args[side].get());
      const Expr *value = expr->args[1 - side].get();
      if (column->kind != ExprKind::kName || column->column < 0 || column->outer != 0 ||
          column->source != source || LastSource(value) >= source)
        continue;
      // The lookup key has the column's type: the comparison must be in the
      // column's type, or an integer comparison (narrowed with a range check).
      Type compared = expr->args[side]->type;
      if (compared != column->type && !(IsInteger(compared) && IsInteger(column->type))) continue;
      return {column->column, value};
    }
    return {-1, nullptr};
  }

  // Each conjunct of WHERE is tested at the first FROM item where all it
  // reads is there, those that read no earlier item first (as PostgreSQL
  // tests a table's own conditions in its scan, before the join's); each
  // item is read by the index whose columns WHERE fixes.
  // A LEFT JOIN item is found and matched by its ON conditions alone (all
  // tested at the item, whatever they read); the WHERE conjuncts that read
  // it last are tested on the row it gives, a match or the row of NULLs.
  void PlanAccess(Stmt *stmt) {
    std::vector<const Expr *> conjuncts;
    if (stmt->where) Conjuncts(stmt->where.get(), &conjuncts);
    for (size_t s = 0; s < SourceCount(*stmt); ++s) {
      TableRef &ref = stmt->from.empty() ? stmt->target : stmt->from[s];
      int here = static_cast<int>(s);
      std::vector<const Expr *> matching;  // conjuncts that may choose the index
      if (ref.left_join) {
        Conjuncts(ref.on.get(), &matching);
        for (const Expr *conjunct : conjuncts)
          if (std::max(0, LastSource(conjunct)) == here) ref.joined_filters.push_back(conjunct);
      } else {
        for (const Expr *conjunct : conjuncts)
          if (std::max(0, LastSource(conjunct)) == here) matching.push_back(conjunct);
      }
      // Those that read no earlier item first, as PostgreSQL tests a table's
      // own conditions in its scan, before the join's.
      for (const Expr *conjunct : matching)
        if (FirstSource(conjunct) >= here) ref.filters.push_back(conjunct);
      std::vector<std::pair<int, const Expr *>> equalities;
      for (const Expr *conjunct : matching) {
        if (FirstSource(conjunct) < here) ref.filters.push_back(conjunct);
        auto eq = KeyEquality(conjunct, here);
        if (eq.second != nullptr) equalities.push_back(eq);
      }
      if (!ref.query) ChooseAccess(&ref, equalities, matching, here);
      // Conditions with subqueries last, as PostgreSQL orders quals by cost: the
      // cheap ones may spare a subquery (and raise their errors first).
      auto cheap = [](const Expr *e) { return !HasSubquery(e); };
      std::stable_partition(ref.filters.begin(), ref.filters.end(), cheap);
      std::stable_partition(ref.joined_filters.begin(), ref.joined_filters.end(), cheap);
    }
  }

  // An index lookup, lookups by an IN list, or a range scan (a subquery in
  // FROM has no index: its rows are read in turn).
  void ChooseAccess(TableRef *ref, const std::vector<std::pair<int, const Expr *>> &equalities,
                    const std::vector<const Expr *> &matching, int here) {
    const TableDesc &table = routine_.tables[ref->table];
    ChooseIndex(ref, table, equalities);
    if (ref->access_index < 0 && !ref->left_join)
      ChooseAlternatives(ref, table, equalities, matching, here);
    if (ref->access_index < 0) ChooseRange(ref, table, matching, static_cast<size_t>(here));
  }

  // "column op value" with op one of < <= > >= (turned around when the
  // column is on the right), in the column's own type, where value reads
  // only earlier FROM items: the column, the op and the value.
  struct RangeCondition {
    int column;
    std::string op;
    const Expr *value;
  };
  static bool RangeConditionOf(const Expr *expr, size_t source, RangeCondition *condition) {
    if (expr->kind != ExprKind::kBinary) return false;
    const std::string &op = expr->op;
    if (op != "<" && op != "<=" && op != ">" && op != ">=") return false;
    for (int side = 0; side < 2; ++side) {
      const Expr *column = expr->args[side].get();
      const Expr *value = expr->args[1 - side].get();
      if (column->kind != ExprKind::kName || column->column < 0 || column->outer != 0 ||
          column->source != static_cast<int>(source) ||
          LastSource(value) >= static_cast<int>(source) || value->type != column->type)
        continue;
      static const std::map<std::string, std::string> kTurned = {
          {"<", ">"}, {"<=", ">="}, {">", "<"}, {">=", "<="}};
      *condition = RangeCondition{column->column, side == 0 ? op : kTurned.at(op), value};
      return true;
    }
    return false;
  }

  // Without an equality lookup, the first ordered index whose first column
  // WHERE bounds is scanned over that range (the whole WHERE is still tested).
  static void ChooseRange(TableRef *ref, const TableDesc &table,
                          const std::vector<const Expr *> &conjuncts, size_t source) {
    for (size_t i = 0; i < table.indexes.size(); ++i) {
      const IndexDesc &index = table.indexes[i];
      if (!index.ordered || index.columns.empty()) continue;
      for (const Expr *conjunct : conjuncts) {
        RangeCondition condition;
        if (!RangeConditionOf(conjunct, source, &condition) || condition.column != index.columns[0])
          continue;
        ref->access_index = static_cast<int>(i);
        ref->range_scan = true;
        ref->range_ops.push_back(condition.op);
        ref->access_keys.push_back(condition.value);
      }
      if (ref->range_scan) return;
    }
  }

  // An OR of "column = value" on one column of FROM item `source` (what
  // `column IN (a, b, ...)` becomes): the column and the values.
  static bool OrOfKeyEqualities(const Expr *expr, int source, int *column,
                                std::vector<const Expr *> *values) {
    if (expr->kind == ExprKind::kBinary && expr->op == "or")
      return OrOfKeyEqualities(expr->args[0].get(), source, column, values) &&
             OrOfKeyEqualities(expr->args[1].get(), source, column, values);
    auto eq = KeyEquality(expr, source);
    if (eq.second == nullptr || (*column >= 0 && eq.first != *column)) return false;
    *column = eq.first;
    values->push_back(eq.second);
    return true;
  }

  // Types whose equal values have equal Datums, so that the generated code
  // can drop an IN list's duplicate keys by comparing Datums (the others
  // take a value set).
  static bool DatumEqualityIsValueEquality(Type type) {
    switch (type) {
      case Type::kBool:
      case Type::kInt2:
      case Type::kInt4:
      case Type::kInt8:
      case Type::kDate:
      case Type::kTime:
      case Type::kTimestamp:
      case Type::kTimestampTz:
        return true;
      default:
        return false;
    }
  }

  // Without an equality lookup: an index whose columns WHERE fixes, one of
  // them by an IN list (or an OR of equalities): one lookup per distinct
  // value, as PostgreSQL's index scan with `= ANY (array)`
  // (GenAlternativeLookups). Of a type whose equal values may differ as
  // Datums, a runtime value set finds the distinct ones.
  void ChooseAlternatives(TableRef *ref, const TableDesc &table,
                          std::vector<std::pair<int, const Expr *>> equalities,
                          const std::vector<const Expr *> &conjuncts, int source) {
    for (const Expr *conjunct : conjuncts) {
      int column = -1;
      std::vector<const Expr *> values;
      if (!OrOfKeyEqualities(conjunct, source, &column, &values) || values.size() < 2) continue;
      equalities.emplace_back(column, conjunct);  // the conjunct stands for its values
      ChooseIndex(ref, table, equalities);
      equalities.pop_back();
      if (ref->access_index < 0) continue;
      const std::vector<int> &columns = table.indexes[ref->access_index].columns;
      ref->alternative_key =
          static_cast<int>(std::find(columns.begin(), columns.end(), column) - columns.begin());
      ref->alternatives = std::move(values);
      if (!DatumEqualityIsValueEquality(table.columns[column].type))
        ref->alternative_set = routine_.value_sets++;
      return;
    }
  }

  static void ChooseIndex(TableRef *ref, const TableDesc &table,
                          const std::vector<std::pair<int, const Expr *>> &equalities) {
    int best = -1;
    for (size_t i = 0; i < table.indexes.size(); ++i) {
      const IndexDesc &index = table.indexes[i];
      if (index.columns.empty()) continue;
      bool covered = true;
      for (int column : index.columns) {
        bool found = false;
        for (auto &eq : equalities) found = found || eq.first == column;
        covered = covered && found;
      }
      if (!covered) continue;
      if (best < 0 || (index.unique && !table.indexes[best].unique)) best = static_cast<int>(i);
    }
    if (best < 0) return;
    ref->access_index = best;
    for (int column : table.indexes[best].columns)
      for (auto &eq : equalities)
        if (eq.first == column) {
          ref->access_keys.push_back(eq.second);
          break;
        }
  }

  Routine &routine_;
  // The columns of the subqueries in FROM (BindFromSubquery); a deque, as
  // Sources point into it.
  std::deque<TableDesc> from_subqueries_;
  const Sources no_sources_;
  // While a subquery in FROM is bound: the names of the items of each
  // query around it whose items it may not read (for the error).
  std::vector<std::vector<std::string>> hidden_qualifiers_;
  std::vector<std::vector<std::pair<std::string, int>>> scopes_;
  const Sources *current_sources_ = nullptr;
  // While a subquery is bound: the FROM items of the queries around
  // it, outermost first (nullptr where procedural code holds the subquery).
  std::vector<const Sources *> enclosing_;
  // One per subquery being bound, as enclosing_: the first variable
  // declared inside it, and whether it reads the rows around it.
  struct SubqueryBinding {
    size_t first_variable;
    bool correlated;
    int own_let;  // an IN subquery's x (or -1), which does not make it correlated
  };
  std::vector<SubqueryBinding> subqueries_;
  // The statement or outermost subquery that owns the cached subqueries
  // being bound (BindSubquery); nullptr in procedural code.
  Stmt *cache_owner_ = nullptr;
  int loop_depth_ = 0;
  struct Label {
    std::string name;  // empty for an unlabeled loop or block
    bool block;        // a BEGIN ... END block, else a loop
  };
  std::vector<Label> labels_;        // of the enclosing loops and blocks, innermost last
  int open_blocks_ = 0;              // blocks with EXCEPTION handlers around the statement
  std::vector<int> handler_depths_;  // of the blocks whose handlers enclose it, innermost last
  std::vector<const Expr *> *aggregates_ = nullptr;  // while binding a SELECT INTO list
  bool in_aggregate_ = false;
};

using TableNames = std::vector<std::vector<std::string>>;

void AddTableName(const TableRef &ref, TableNames *names) {
  if (ref.query) return;  // its own items are added as those of a nested subquery
  for (const auto &name : *names)
    if (name == ref.name) return;
  names->push_back(ref.name);
}

void CollectFromList(const StmtList &list, TableNames *names) {
  for (const StmtPtr &stmt : list) {
    if (stmt->kind == StmtKind::kInsert || stmt->kind == StmtKind::kUpdate ||
        stmt->kind == StmtKind::kDelete)
      AddTableName(stmt->target, names);
    for (const TableRef &ref : stmt->from) AddTableName(ref, names);
    ForEachNestedSubquery(*stmt, [names](const Stmt &query) {
      for (const TableRef &ref : query.from) AddTableName(ref, names);
    });
    for (const StmtList &branch : stmt->branches) CollectFromList(branch, names);
    CollectFromList(stmt->else_body, names);
    CollectFromList(stmt->body, names);
  }
}

void CollectCalleesOfQuery(const Stmt &query, std::vector<std::pair<std::string, size_t>> *names);

void CollectCalleesOf(const Expr *expr, std::vector<std::pair<std::string, size_t>> *names) {
  if (expr == nullptr) return;
  auto add = [names](const std::string &name, size_t nargs) {
    for (const auto &known : *names)
      if (known.first == name && known.second == nargs) return;
    names->emplace_back(name, nargs);
  };
  if (expr->kind == ExprKind::kCall && BuiltinFunctions().count(expr->op) == 0 &&
      !IsPostgresFunction(expr->op))
    add(expr->op, expr->args.size());
  ForEachOperand(*expr, [names](const Expr *operand) { CollectCalleesOf(operand, names); });
  if (expr->query) CollectCalleesOfQuery(*expr->query, names);
}

// Of a query's expressions and those of its subqueries in FROM.
void CollectCalleesOfQuery(const Stmt &query, std::vector<std::pair<std::string, size_t>> *names) {
  ForEachQueryExpression(query, [names](const Expr *e) { CollectCalleesOf(e, names); });
  ForEachFromSubquery(query, [names](const Stmt &from) { CollectCalleesOfQuery(from, names); });
}

void CollectCalleesFromList(const StmtList &list,
                            std::vector<std::pair<std::string, size_t>> *names) {
  for (const StmtPtr &stmt : list) {
    if (stmt->kind == StmtKind::kCallRoutine) {
      bool known = false;
      for (const auto &n : *names)
        known = known || (n.first == stmt->name && n.second == stmt->args.size());
      if (!known) names->emplace_back(stmt->name, stmt->args.size());
    }
    CollectCalleesOfQuery(*stmt, names);
    for (const StmtList &branch : stmt->branches) CollectCalleesFromList(branch, names);
    CollectCalleesFromList(stmt->else_body, names);
    CollectCalleesFromList(stmt->body, names);
  }
}

void MarkQueryColumns(std::vector<const Stmt *> *queries, const Stmt &query,
                      std::vector<std::vector<bool>> *used);

// Marks the columns `expr` reads; `queries` holds the statement the
// expression belongs to last, and before it the queries around its subqueries.
void MarkColumns(std::vector<const Stmt *> *queries, const Expr *expr,
                 std::vector<std::vector<bool>> *used) {
  if (expr->kind == ExprKind::kName && expr->column >= 0) {
    const Stmt &owner = *(*queries)[queries->size() - 1 - expr->outer];
    int table = SourceRef(owner, expr->source).table;
    if (table >= 0) (*used)[table][expr->column] = true;  // not a subquery in FROM's
  }
  for (const ExprPtr &arg : expr->args) MarkColumns(queries, arg.get(), used);
  if (expr->query) MarkQueryColumns(queries, *expr->query, used);
}

// The columns a statement or subquery reads, in its expressions and
// subqueries in FROM (each one level further in, as the binder counts
// Expr::outer); `queries` holds the queries around it.
void MarkQueryColumns(std::vector<const Stmt *> *queries, const Stmt &query,
                      std::vector<std::vector<bool>> *used) {
  queries->push_back(&query);
  ForEachQueryExpression(query, [&](const Expr *e) { MarkColumns(queries, e, used); });
  ForEachFromSubquery(query, [&](const Stmt &from) { MarkQueryColumns(queries, from, used); });
  queries->pop_back();
}

void MarkList(const StmtList &list, std::vector<std::vector<bool>> *used) {
  for (const StmtPtr &stmt : list) {
    if (stmt->kind == StmtKind::kInsert || stmt->kind == StmtKind::kUpdate)
      for (int column : stmt->column_numbers) (*used)[stmt->target.table][column] = true;
    std::vector<const Stmt *> queries;
    MarkQueryColumns(&queries, *stmt, used);
    for (const StmtList &branch : stmt->branches) MarkList(branch, used);
    MarkList(stmt->else_body, used);
    MarkList(stmt->body, used);
  }
}

}  // namespace

namespace {

void CollectConditionsFromList(StmtList *list, std::vector<ExceptionCondition *> *conditions) {
  for (StmtPtr &stmt : *list) {
    for (auto &handler : stmt->handlers)
      for (ExceptionCondition &condition : handler)
        if (!condition.name.empty()) conditions->push_back(&condition);
    for (StmtList &branch : stmt->branches) CollectConditionsFromList(&branch, conditions);
    CollectConditionsFromList(&stmt->else_body, conditions);
    CollectConditionsFromList(&stmt->body, conditions);
  }
}

}  // namespace

std::vector<ExceptionCondition *> CollectExceptionConditions(Body *body) {
  std::vector<ExceptionCondition *> conditions;
  CollectConditionsFromList(&body->statements, &conditions);
  return conditions;
}

std::vector<std::vector<std::string>> CollectTableNames(const Body &body) {
  std::vector<std::vector<std::string>> names;
  CollectFromList(body.statements, &names);
  return names;
}

std::vector<std::pair<std::string, size_t>> CollectCalleeNames(const Body &body) {
  std::vector<std::pair<std::string, size_t>> names;
  CollectCalleesFromList(body.statements, &names);
  return names;
}

bool Bind(Routine *routine, SourceError *error) {
  try {
    Binder(routine).Run();
    return true;
  } catch (const BindFailure &failure) {
    *error = failure.error;
  } catch (const std::bad_alloc &) {
    *error = SourceError{SourcePos{1, 1}, "out of memory", ""};
  }
  return false;
}

std::vector<std::vector<bool>> ColumnsUsed(const Routine &routine) {
  std::vector<std::vector<bool>> used;
  for (const TableDesc &table : routine.tables) used.emplace_back(table.columns.size(), false);
  MarkList(routine.body.statements, &used);
  return used;
}

bool LookupTypeName(const std::string &name, const std::vector<int> &modifiers, Type *type) {
  int32_t typmod;
  return TypeFromName(name, modifiers, type, &typmod);
}

const char *DisplayTypeName(Type type) {
  switch (type) {
    case Type::kBool:
      return "boolean";
    case Type::kInt2:
      return "smallint";
    case Type::kInt4:
      return "integer";
    case Type::kInt8:
      return "bigint";
    case Type::kFloat4:
      return "real";
    case Type::kFloat8:
      return "double precision";
    case Type::kText:
      return "text";
    case Type::kNumeric:
      return "numeric";
    case Type::kDate:
      return "date";
    case Type::kTime:
      return "time without time zone";
    case Type::kTimestamp:
      return "timestamp without time zone";
    case Type::kTimestampTz:
      return "timestamp with time zone";
    case Type::kInterval:
      return "interval";
    case Type::kUuid:
      return "uuid";
    case Type::kBytea:
      return "bytea";
    case Type::kBpchar:
      return "character";
    case Type::kNull:
      return "unknown";
    case Type::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace native
}  // namespace memopt
