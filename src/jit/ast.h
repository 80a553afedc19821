// ast.h - the syntax tree of a LANGUAGE native_compilation body.
//
// The parser (parser.cpp) builds it from the source text; the binder
// (binder.cpp) resolves names and types in place (the "bound" fields below);
// code generation (codegen.cpp) reads the bound tree. No PostgreSQL headers:
// the tree is unit-tested on its own.
//
// One node type per family (Expr, Stmt) with a kind and the fields that kind
// uses, documented per kind: the language is small, and one shape keeps the
// parser and the tree walkers short.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace memopt {
namespace native {

// 1-based line and column of a token in the procedure body.
struct SourcePos {
  int line = 0;
  int column = 0;
};

// The value types of the language (binder.cpp maps PostgreSQL types to them).
enum class Type : uint8_t {
  kUnknown = 0,  // not bound yet
  kNull,         // an untyped NULL literal
  kBool,
  kInt2,
  kInt4,
  kInt8,
  kFloat4,
  kFloat8,
  kText,
  // Held as PostgreSQL holds them (date an int32, time and timestamps an
  // int64, the others a pointer Datum); operators, casts and functions on
  // them call PostgreSQL's own (operators.h).
  kNumeric,
  kDate,
  kTime,
  kTimestamp,
  kTimestampTz,
  kInterval,
  kUuid,
  kBytea,
  kBpchar,  // char(n): blank-padded; compares and converts to text without trailing blanks
};

// A type as written: "int", "bigint", "double precision", "varchar(20)".
struct TypeName {
  std::string name;  // lower case, words joined by one space
  std::vector<int> modifiers;
  SourcePos pos;
};

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

enum class ExprKind : uint8_t {
  kInt,     // text: the digits
  kFloat,   // text: the literal as written ("1.5", "2e3")
  kString,  // text: the value, quotes removed and '' undone
  kBool,    // text: "true" or "false"
  kNull,    // NULL
  kName,    // parts: identifier, or qualifier and identifier (t.col)
  kUnary,   // op: "-", "+", "not"; args[0]
  kBinary,  // op: "+" "-" "*" "/" "%" "=" "<>" "<" "<=" ">" ">=" "and" "or" "||"; args[0..1]
  // args[0] IS [NOT] NULL; negated for IS NOT. op "true", "false" or
  // "unknown" (of a boolean args[0]) for IS [NOT] TRUE / FALSE / UNKNOWN.
  kIsNull,
  kCall,    // op: function name, lower case; args
  kCast,    // args[0]::cast_type or CAST(args[0] AS cast_type)
  kCase,    // CASE: args = cond1, value1, cond2, value2, ... [, else value (has_else)]
  kExists,  // EXISTS (query): `query`, a StmtKind::kSubquery
  // (query) as a value: its one select-list item in its only row, NULL
  // without rows, an error (21000) with more than one. `variable` holds it.
  kScalarSubquery,
  // args[0] IN (query); `negated` for NOT IN. The binder makes the query's
  // one select-list item the comparison `$let = item`, where `$let` is
  // `variable`, holding args[0] (or, for a literal, a copy of it). `op`,
  // when not empty, is the comparison instead of `=`: x op ANY (query);
  // x op ALL (query) is negated, with the opposite op.
  kInSubquery,
  // args[1], which reads args[0] as the name `$let`: computed once into
  // `variable` (a literal is copied in instead, and `variable` is -1).
  // The parser makes it of `x [NOT] IN (list)` and `x [NOT] BETWEEN a AND b`.
  kLet,
  // args[0] IS DISTINCT FROM args[1], held as args[0], their equality
  // `x = y` (bound as any comparison): true when exactly one is NULL or
  // both are present and unequal; never NULL. negated: IS NOT DISTINCT FROM.
  kIsDistinct,
  // DEFAULT as an INSERT's VALUES item or an UPDATE's SET value: the
  // column's default (the runtime computes it); refused anywhere else.
  kDefault,
};

// The name by which a kLet's or kInSubquery's args[1] / select-list item
// reads args[0]; no identifier the lexer makes is spelled so.
inline const char *LetName() { return "$let"; }

// An ORDER BY item (of a query, or in the arguments of an aggregate).
struct SortItem {
  ExprPtr expr;
  bool descending = false;
  int nulls_first = -1;  // -1: as PostgreSQL (NULLS LAST ascending, NULLS FIRST descending)
  SourcePos pos;
  int output = -1;  // bound: ORDER BY n names select-list entry n - 1
};

struct Expr {
  ExprKind kind = ExprKind::kNull;
  SourcePos pos;
  std::string text;
  std::string op;
  std::vector<std::string> parts;  // kName, lower case unless quoted
  std::vector<ExprPtr> args;
  bool negated = false;
  bool has_else = false;  // kCase
  bool distinct = false;  // kCall of an aggregate: count(DISTINCT x), of distinct inputs only
  TypeName cast_type;
  std::unique_ptr<Stmt> query;  // kExists, kScalarSubquery, kInSubquery
  // kCall of an aggregate: string_agg(x, ',' ORDER BY y). The binder moves
  // each bound item's expression to the end of `args` (binder.h
  // AggregateInputCount), or drops them all where the order cannot change
  // the result (count, min, max, ...).
  std::vector<SortItem> order_by;

  // Bound by binder.cpp.
  Type type = Type::kUnknown;
  int variable = -1;   // kName, kLet, kScalarSubquery, kInSubquery: index into Routine::variables
  int source = -1;     // kName: index of the row source (FROM item) ...
  int column = -1;     // ... and 0-based column of its table; `outer`
                       // says whose FROM item: 0 the statement's own, 1 the
                       // query around the EXISTS the name is in, ...
  int outer = 0;       // (levels of subqueries, EXISTS or other)
  int function = -1;   // kCall: binder.h BuiltinFunction
  int aggregate = -1;  // kCall of an aggregate: index into Stmt::aggregates
  int callee = -1;     // kCall of a natively compiled function: Routine::callees
  int runtime = -1;    // kBinary, kUnary, kCast, kCall: a MemoptNativeFunction doing it
  bool swap_operands = false;  // kBinary with `runtime`: called as (right, left)
  int32_t typmod = -1;         // kCast to numeric(p, s) or varchar(n): the modifier applied
  bool explicit_cast = false;  // ... by an explicit cast (varchar(n) then cuts, as PostgreSQL)
  // kExists, kScalarSubquery, kInSubquery read per row of a query but
  // nothing of its rows: computed once per execution of the statement or
  // subquery that lists it in Stmt::cached_subqueries (PostgreSQL's InitPlan).
  bool cached = false;
  // kInSubquery whose query reads nothing of the rows around it but x (not
  // cached, as the result depends on x): its query's rows are computed once
  // per execution of its owner (as `cached`) into runtime value set number
  // value_set, which each x is looked up in (PostgreSQL's hashed SubPlan).
  // Its select list is then the item alone, and args[1] is x in the type
  // it is compared in. Also the root kBinary "or" of a long `x IN (list)`
  // of constants (in_list.h): its items go into the set once per call.
  int value_set = -1;
  // In the select list, HAVING or ORDER BY of a grouped query: the
  // expression is GROUP BY item `group_key`, read from the group's row.
  int group_key = -1;
};

enum class StmtKind : uint8_t {
  kDeclare,         // name, type_name, not_null, value (initializer, may be null)
  kAssign,          // name := value
  kIf,              // conds[i] -> branches[i]; else_body
  kWhile,           // WHILE conds[0] LOOP body END LOOP
  kLoop,            // LOOP body END LOOP (left with EXIT)
  kForRange,        // FOR name IN [REVERSE] low..high [BY step] LOOP body END LOOP
  kExit,            // EXIT [label] [WHEN value]
  kContinue,        // CONTINUE [label] [WHEN value]
  kReturn,          // RETURN [value]
  kRaise,           // RAISE level 'format' [, args] [USING ERRCODE = 'xxxxx']
  kInsert,          // INSERT INTO table [(columns)] VALUES rows | query (from non-empty)
  kUpdate,          // UPDATE table [alias] SET columns[i] = set_values[i] [WHERE where]
  kDelete,          // DELETE FROM table [alias] [WHERE where]
  kSelectInto,      // SELECT select_list INTO into query-clauses
  kSelectValues,    // SELECT select_list INTO into; (no FROM): one row; bound like kSelectInto
  kForQuery,        // FOR into IN SELECT select_list query-clauses LOOP body END LOOP
  kSelectRows,      // SELECT select_list query-clauses: rows of a set-returning function
  kNullStmt,        // NULL;
  kCallRoutine,     // CALL name(args): a natively compiled procedure
  kPerform,         // PERFORM select_list [query-clauses]: a query run for its effects
  kGetDiagnostics,  // GET [STACKED] DIAGNOSTICS into[i] = item i; bound: set_values[i] reads it
  kSubquery,  // the query of a subquery expression (EXISTS: its select list is never computed)
  kBlock,     // BEGIN body [EXCEPTION WHEN handlers[i] THEN branches[i] ...] END
};

// One condition of an EXCEPTION WHEN clause: a condition name (lower case,
// "others" for OTHERS) or SQLSTATE 'xxxxx' (name empty). The glue fills
// `sqlstates` for names (PostgreSQL's table can give one name two codes);
// a name it does not know keeps none and the binder refuses it.
struct ExceptionCondition {
  std::string name;
  std::vector<std::string> sqlstates;
  SourcePos pos;
};

// A FROM item (or the target of UPDATE / DELETE): a table, optionally
// aliased. The items of a FROM list are joined by nested loops, in order.
struct TableRef {
  std::vector<std::string> name;  // [schema,] table; empty for a subquery
  std::string alias;              // empty when none
  SourcePos pos;
  // A subquery in FROM, `(SELECT ...) alias [(column, ...)]`: its rows are
  // the item's, its select list the item's columns (named by
  // column_aliases, then its own AS names). It cannot read the items
  // before it (there is no LATERAL); it is computed once per run of its
  // query, before the query's first row, and read again for each row of
  // the items before it.
  std::unique_ptr<Stmt> query;
  std::vector<std::string> column_aliases;
  // LEFT [OUTER] JOIN: the item's rows that meet `on` join each row of the
  // items before it, or one row of NULLs when none does. (An inner join's
  // ON condition joins WHERE.)
  bool left_join = false;
  ExprPtr on;

  // Bound: index into Routine::tables ...
  int table = -1;
  // ... how its rows are found: an index of TableDesc::indexes and its key
  // values, one per index column (expressions of `where` that read only
  // variables and earlier FROM items), or -1 for a scan ...
  int access_index = -1;
  std::vector<const Expr *> access_keys;
  // ... or, with range_scan, the entries of that (ordered) index whose first
  // column satisfies every `column range_ops[i] access_keys[i]` (<, <=, >, >=)
  bool range_scan = false;
  std::vector<std::string> range_ops;
  // ... or, with `alternatives`, index column `alternative_key` (whose
  // access_keys entry is the conjunct) takes each distinct value of an IN
  // list, or an OR of equalities, on its column in turn: one lookup each
  std::vector<const Expr *> alternatives;
  int alternative_key = -1;
  // When the column's equal values may differ as Datums (text, numeric,
  // ...): the runtime value set that sorts the values and drops repeats.
  int alternative_set = -1;
  // ... and the conjuncts of `where` tested as soon as its row is read (those
  // that read no later FROM item; for a LEFT JOIN item, the conjuncts of
  // `on`, which decide whether a row matches) ...
  std::vector<const Expr *> filters;
  // ... and for a LEFT JOIN item, the conjuncts of `where` that read it last,
  // tested on the row it gives, matched or NULLs.
  std::vector<const Expr *> joined_filters;
};

// Bound: the rows one step of a query hands to the runtime to be sorted
// (runtime_api.h memopt_rt_sort_*): their column types and sort keys.
struct SortStage {
  struct Key {
    int column;
    bool descending;
    bool nulls_first;
  };
  std::vector<Type> types;  // empty: the query has no such step
  std::vector<Key> keys;
};

struct Stmt {
  StmtKind kind = StmtKind::kNullStmt;
  SourcePos pos;

  std::string name;   // kDeclare, kAssign, kForRange (loop variable); kExit / kContinue: label
  std::string label;  // loops and kBlock: <<label>>, empty when none
  TypeName type_name;
  bool not_null = false;
  ExprPtr value;  // kDeclare initializer, kAssign, kExit/kContinue WHEN, kReturn

  std::vector<ExprPtr> conds;      // kIf, kWhile
  std::vector<StmtList> branches;  // kIf
  StmtList else_body;              // kIf
  StmtList body;                   // loops
  ExprPtr low, high, step;         // kForRange (step may be null)
  bool reverse = false;            // kForRange

  std::string level;          // kRaise: "notice", "warning", "info", "log", "debug", "exception"
  std::string format;         // kRaise
  std::vector<ExprPtr> args;  // kRaise format arguments
  std::string errcode;        // kRaise USING ERRCODE (5 characters), empty when none
  bool reraise = false;       // kRaise: `RAISE;`, the error its EXCEPTION handler caught

  // kGetDiagnostics: STACKED reads the error a handler caught. Per item,
  // -1 for ROW_COUNT or the MemoptNativeErrorField (runtime_api.h) it reads.
  bool stacked = false;
  std::vector<int32_t> error_fields;

  // kBlock: body is the protected statements; handlers[i] the conditions of
  // EXCEPTION WHEN clause i, branches[i] its statements.
  std::vector<std::vector<ExceptionCondition>> handlers;

  TableRef target;                         // kInsert, kUpdate, kDelete
  std::vector<std::string> columns;        // kInsert column list, kUpdate SET columns
  std::vector<SourcePos> column_pos;       // position of each entry of columns
  std::vector<std::vector<ExprPtr>> rows;  // kInsert VALUES rows
  std::vector<ExprPtr> set_values;         // kUpdate
  bool distinct = false;                   // SELECT DISTINCT: the binder groups by select_list
  // SELECT DISTINCT ON (items): the binder makes them the leading ORDER BY
  // items (distinct_on_keys of them). Those ORDER BY already had stay here,
  // bound but never computed; the others move to ORDER BY.
  std::vector<SortItem> distinct_on;
  std::vector<ExprPtr> select_list;         // kSelectInto
  std::vector<std::string> select_aliases;  // per select_list entry: AS name, or empty
  // A subquery's SELECT *: where the star is (line 0 when there is none).
  // In FROM the binder makes it the columns of the query's FROM items;
  // EXISTS computes no select list.
  SourcePos select_star;
  std::vector<std::string> into;  // kSelectInto target variables
  std::vector<SourcePos> into_pos;
  // Queries (kSelectInto, kForQuery, kSelectRows, kInsert ... SELECT): FROM
  // items (JOIN ... ON conditions are ANDed into `where`), GROUP BY columns,
  // HAVING, ORDER BY, LIMIT and OFFSET.
  std::vector<TableRef> from;
  ExprPtr where;  // also kUpdate, kDelete
  std::vector<ExprPtr> group_by;
  ExprPtr having;
  std::vector<SortItem> order_by;
  ExprPtr limit, offset;

  // Bound by binder.cpp.
  // kDeclare, kAssign, kForRange; GET STACKED DIAGNOSTICS: a hidden text
  // variable each item's error field passes through on its way to into[i].
  int variable = -1;
  int callee = -1;                  // kCallRoutine: index into Routine::callees
  std::vector<int> into_variables;  // kSelectInto
  std::vector<int> column_numbers;  // kInsert (per VALUES entry), kUpdate (per SET): 0-based
  // Queries: aggregate calls (of select_list, having, order_by). With
  // GROUP BY (or DISTINCT aggregates), rows are sorted by group_by, then aggregate inputs
  // (group_stage); with ORDER BY, result rows (select_list, then ORDER BY
  // expressions that name no entry of it) are sorted (order_stage).
  std::vector<const Expr *> aggregates;
  // Subqueries (Expr::cached) whose cached values each execution of this
  // statement, or of this subquery's query, starts without.
  std::vector<const Expr *> cached_subqueries;
  SortStage group_stage;
  SortStage order_stage;
  // Aggregates of DISTINCT inputs (all of one argument): the group_stage
  // column of that argument, sorted after the GROUP BY items so that equal
  // inputs of a group are adjacent; -1 when there are none. A query without
  // GROUP BY then has a group_stage of no GROUP BY items, one group.
  int distinct_input = -1;
  // The aggregate whose ORDER BY (string_agg(x, ',' ORDER BY y)) orders
  // the inputs of all that have one: its items' expressions are the last
  // group_stage columns, sorted after the GROUP BY items. nullptr when no
  // aggregate has one, or when DISTINCT aggregates' distinct_input key,
  // ordered as their ORDER BY says, is that order.
  const Expr *ordered_aggregate = nullptr;
  // SELECT DISTINCT ON: how many leading order_stage keys it names; of the
  // sorted rows, only the first of each run equal in them is a result row.
  int distinct_on_keys = 0;
  // kBlock with handlers: how many such blocks enclose it (0 for the
  // outermost), and per handler the SQLSTATE and SQLERRM variables its
  // statements read. `RAISE;` and GET STACKED DIAGNOSTICS: the depth of the
  // block whose error they read.
  int block_depth = -1;
  std::vector<int> sqlstate_variables, sqlerrm_variables;
};

// FROM item `source` of a statement: from[source], or the UPDATE / DELETE target.
inline const TableRef &SourceRef(const Stmt &stmt, int source) {
  return stmt.from.empty() ? stmt.target : stmt.from[source];
}
inline size_t SourceCount(const Stmt &stmt) { return stmt.from.empty() ? 1 : stmt.from.size(); }

// Calls fn(const Expr *) for each expression a statement holds itself, not
// those of the statements in its bodies (nullptr ones skipped).
template <typename F>
void ForEachOwnExpression(const Stmt &stmt, F fn) {
  for (const Expr *e : {stmt.value.get(), stmt.low.get(), stmt.high.get(), stmt.step.get(),
                        stmt.where.get(), stmt.having.get(), stmt.limit.get(), stmt.offset.get()})
    if (e != nullptr) fn(e);
  for (const auto *list :
       {&stmt.conds, &stmt.args, &stmt.set_values, &stmt.select_list, &stmt.group_by})
    for (const ExprPtr &e : *list) fn(e.get());
  for (const SortItem &item : stmt.order_by) fn(item.expr.get());
  for (const auto &row : stmt.rows)
    for (const ExprPtr &e : row) fn(e.get());
}

// Calls fn(const Expr *) for each expression of a query or row statement:
// its own (ForEachOwnExpression) and its LEFT JOIN items' ON conditions.
template <typename F>
void ForEachQueryExpression(const Stmt &stmt, F fn) {
  ForEachOwnExpression(stmt, fn);
  for (const TableRef &ref : stmt.from)
    if (ref.on) fn(ref.on.get());
}

// Calls fn(const Expr *) for each operand of `expr`: its args, and the
// expressions of an aggregate's ORDER BY items until the binder moves them
// to the end of args (walkers of the unbound tree must see them too).
template <typename F>
void ForEachOperand(const Expr &expr, F fn) {
  for (const ExprPtr &arg : expr.args) fn(arg.get());
  for (const SortItem &item : expr.order_by)
    if (item.expr) fn(item.expr.get());
}

// Calls fn(const Stmt &) for the query of each subquery expression in
// `expr`, outermost first; not for those nested in that query (fn walks them
// if it needs to).
template <typename F>
void ForEachSubquery(const Expr *expr, F fn) {
  if (expr->query) fn(*expr->query);
  ForEachOperand(*expr, [&fn](const Expr *operand) { ForEachSubquery(operand, fn); });
}

inline bool HasSubquery(const Expr *expr) {
  bool found = false;
  ForEachSubquery(expr, [&found](const Stmt &) { found = true; });
  return found;
}

// Calls fn(const Stmt &) for the query of each subquery in a query's FROM
// list (not for those nested in them).
template <typename F>
void ForEachFromSubquery(const Stmt &query, F fn) {
  for (const TableRef &ref : query.from)
    if (ref.query) fn(*ref.query);
}

// Calls fn(const Stmt &) for the query of each subquery in a statement's own
// expressions and FROM items, and in those queries' own, at any depth (not
// in the statements of its bodies).
template <typename F>
void ForEachNestedSubquery(const Stmt &stmt, F fn) {
  auto nested = [&fn](const Stmt &query) {
    fn(query);
    ForEachNestedSubquery(query, fn);
  };
  ForEachQueryExpression(stmt, [&nested](const Expr *e) { ForEachSubquery(e, nested); });
  ForEachFromSubquery(stmt, nested);
}

// A reference to $let (LetName), unbound, at `pos`.
inline ExprPtr LetReference(SourcePos pos) {
  auto name = std::make_unique<Expr>();
  name->kind = ExprKind::kName;
  name->pos = pos;
  name->parts.push_back(LetName());
  return name;
}

// A copy of what the parser set in `expr`, without its operands.
inline ExprPtr CopyParsedFields(const Expr &expr) {
  auto copy = std::make_unique<Expr>();
  copy->kind = expr.kind;
  copy->pos = expr.pos;
  copy->text = expr.text;
  copy->op = expr.op;
  copy->parts = expr.parts;
  copy->negated = expr.negated;
  copy->has_else = expr.has_else;
  copy->distinct = expr.distinct;
  copy->cast_type = expr.cast_type;
  return copy;
}

// A copy of an unbound expression that holds no subquery.
inline ExprPtr CloneExpr(const Expr &expr) {
  ExprPtr copy = CopyParsedFields(expr);
  for (const ExprPtr &arg : expr.args) copy->args.push_back(CloneExpr(*arg));
  for (const SortItem &item : expr.order_by) {
    copy->order_by.push_back(
        SortItem{CloneExpr(*item.expr), item.descending, item.nulls_first, item.pos, item.output});
  }
  return copy;
}

// BEGIN ATOMIC WITH (...) options.
struct AtomicOptions {
  std::string isolation;  // "snapshot", "repeatable read", "serializable"
  bool delayed_durability = false;
  SourcePos pos;
};

// The whole body: BEGIN ATOMIC WITH (options) body END.
struct Body {
  AtomicOptions options;
  StmtList statements;
};

// What went wrong, and where (line and column in the body).
struct SourceError {
  SourcePos pos;
  std::string message;             // PostgreSQL message style: lower case, no period
  std::string hint;                // may be empty
  std::string sqlstate = "42601";  // syntax_error unless the binder says otherwise
};

}  // namespace native
}  // namespace memopt
