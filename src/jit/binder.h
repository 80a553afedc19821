// binder.h - names and types of a parsed body, resolved against the catalog.
//
// Binding annotates the tree in place (the "bound" fields of ast.h): every
// name becomes a variable or a column, every expression gets a type, every
// DML statement gets its table and, where its WHERE clause fixes all columns
// of an index by equality, the index and key values that find its rows.
// Implicit conversions follow PostgreSQL's: integers widen, integers become
// floats, assignment narrows with a range check; text converts to and from
// other types only by an explicit cast or an assignment.
#pragma once

#include <string>
#include <vector>

#include "ast.h"
#include "catalog.h"

namespace memopt {
namespace native {

// Functions computed in generated code (operators.h has those PostgreSQL
// computes: substr, round, date_trunc, to_char, ...).
enum class BuiltinFunction : int {
  kAbs = 0,
  kMod,
  kCoalesce,
  kGreatest,
  kLeast,
  kLength,
  kLower,
  kUpper,
  kNow,             // now(), current_timestamp: timestamptz
  kCurrentDate,     // current_date
  kLocalTimestamp,  // localtimestamp
  kConcat,          // concat(any, ...): text of the arguments that are not NULL
  kConcatWs,        // concat_ws(separator, any, ...)
  // Aggregates: in the select list, HAVING and ORDER BY of a query.
  kCount,
  kSum,
  kMin,
  kMax,
  kAvg,
  kBoolAnd,  // bool_and, every
  kBoolOr,
  kStringAgg,  // string_agg(text, delimiter): its one aggregate of two inputs
};

// How many of an aggregate's args are its inputs; those after them are
// the expressions of its ORDER BY items (ast.h Expr::order_by).
inline size_t AggregateInputCount(const Expr &aggregate) {
  return aggregate.args.size() - aggregate.order_by.size();
}

// Whether an aggregate takes a second input per row (string_agg's
// delimiter). A query sorts the second inputs after all first ones.
inline bool HasSecondInput(const Expr &aggregate) { return AggregateInputCount(aggregate) == 2; }

// A variable of the routine: a parameter, a DECLAREd variable or a FOR loop's.
struct Variable {
  std::string name;
  Type type = Type::kUnknown;
  int32_t typmod = -1;  // numeric(p, s) variables: values are rounded to the scale
  bool not_null = false;
  int param = -1;   // index into Signature::params, or -1
  int arg = -1;     // IN / INOUT: position among the call's arguments
  int output = -1;  // OUT / INOUT / TABLE: position in the result row
  // $let of x IN (...) / BETWEEN: holds a value it does not own, valid while
  // the expression reading it is computed, so it is stored without a copy.
  bool borrowed = false;
  SourcePos pos;
};

// A bound routine: the tree, its variables and the tables it uses.
struct Routine {
  Signature signature;
  Body body;
  std::vector<Variable> variables;
  std::vector<TableDesc> tables;    // resolved by the glue, in CollectTableNames order
  std::vector<int> outputs;         // variables of OUT / INOUT / TABLE parameters, in order
  std::vector<Type> row_types;      // set-returning: the types of each result row's columns
  std::vector<CalleeDesc> callees;  // resolved by the glue, in CollectCalleeNames order
  // PL/pgSQL's FOUND: false at the start of each call; set by SELECT INTO
  // (a row arrived), INSERT / UPDATE / DELETE (a row was written) and FOR
  // loops when they end (they ran their body). -1 when a parameter is named
  // found.
  int found_variable = -1;
  // PL/pgSQL's ROW_COUNT, when GET DIAGNOSTICS reads it (else -1): 0 at the
  // start of each call; set by INSERT / UPDATE / DELETE (rows written),
  // SELECT INTO (0 or 1), PERFORM (rows), and to 1 by an assignment, DECLARE,
  // IF or WHILE condition holding a subquery (PL/pgSQL runs those as queries).
  int row_count_variable = -1;
  // How many IN subqueries are hashed and IN lists of constants tested as
  // sets (Expr::value_set): each one's values are a set in the runtime, by
  // this number.
  int value_sets = 0;
  // How deep blocks with EXCEPTION handlers nest (0: none). Each one runs
  // as a subtransaction; while one can catch an error, the code generator
  // keeps variables in memory (a caught error returns through sigsetjmp).
  int block_depth = 0;
};

// The condition names of EXCEPTION WHEN clauses (the glue fills each
// ExceptionCondition::sqlstates before Bind).
std::vector<ExceptionCondition *> CollectExceptionConditions(Body *body);

// The distinct table names the body refers to, in order of first use (the
// glue resolves them into Routine::tables before Bind).
std::vector<std::vector<std::string>> CollectTableNames(const Body &body);

// The routines the body calls, as (name, number of arguments), in order of
// first use: CALL statements, and calls of functions that are not built in.
std::vector<std::pair<std::string, size_t>> CollectCalleeNames(const Body &body);

// Binds routine->body against routine->signature and routine->tables.
bool Bind(Routine *routine, SourceError *error);

// Which columns of a table a bound routine reads or writes (for pg_depend):
// used[t][c] for Routine::tables[t], column c.
std::vector<std::vector<bool>> ColumnsUsed(const Routine &routine);

// The language's type for a type name as written ("int", "double
// precision"); false for types it does not handle (also varchar(n)).
bool LookupTypeName(const std::string &name, const std::vector<int> &modifiers, Type *type);

// "integer", "bigint", ... as PostgreSQL names the type in messages.
const char *DisplayTypeName(Type type);

}  // namespace native
}  // namespace memopt
