// catalog.h - what the binder needs to know about the catalog, as plain data.
//
// The glue (src/pg/native_catalog.cpp) fills these from PostgreSQL's catalogs
// before binding, so that binding and code generation run without calling
// PostgreSQL (no error can longjmp through them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ast.h"

namespace memopt {
namespace native {

struct ColumnDesc {
  std::string name;
  Type type = Type::kUnknown;  // kUnknown: a type the language does not handle
  std::string type_name;       // as PostgreSQL formats it, for messages
  int32_t typmod = -1;         // numeric(p, s): assignments round to the scale
  bool not_null = false;
  bool has_default = false;
  bool dropped = false;
  // Written only by PostgreSQL: a stored generated column, or an identity
  // column GENERATED ALWAYS. INSERT and UPDATE may not name it.
  bool generated = false;
  bool identity_always = false;
};

struct IndexDesc {
  uint32_t oid = 0;
  bool unique = false;
  bool ordered = false;      // memopt_range: also scans ranges of its first column
  std::vector<int> columns;  // 0-based table columns; empty for an expression index
};

// One table named in the body, resolved by the glue.
struct TableDesc {
  std::vector<std::string> name;  // as written
  bool found = false;             // false: `message` (and `hint`, `sqlstate`) say why
  std::string sqlstate;
  std::string message;
  std::string hint;
  uint32_t oid = 0;
  std::string display_name;  // for messages
  std::vector<ColumnDesc> columns;
  std::vector<IndexDesc> indexes;
};

// kTable: a column of RETURNS TABLE (an output, like kOut).
// A routine the body calls (CALL p(...) or f(...) in an expression),
// resolved by the glue by name and number of arguments.
struct CalleeDesc {
  std::string name;
  size_t nargs = 0;
  bool found = false;  // false: `message` (and `hint`, `sqlstate`) say why
  std::string sqlstate;
  std::string message;
  std::string hint;
  uint32_t oid = 0;
  bool is_procedure = false;
  std::vector<Type> params;
  Type result = Type::kUnknown;  // functions
};

enum class ParamMode : uint8_t { kIn, kOut, kInOut, kTable };

struct ParamDesc {
  std::string name;  // empty: refer to it as $n
  Type type = Type::kUnknown;
  std::string type_name;
  ParamMode mode = ParamMode::kIn;
};

// The routine's signature, from pg_proc.
struct Signature {
  std::string routine_name;
  bool is_procedure = false;
  bool returns_void = true;      // no result, or (with OUT parameters) their values
  bool returns_set = false;      // RETURNS SETOF / TABLE: rows come from SELECT statements
  Type result = Type::kUnknown;  // a scalar result (also of SETOF scalar)
  std::string result_type_name;
  std::vector<ParamDesc> params;
};

}  // namespace native
}  // namespace memopt
