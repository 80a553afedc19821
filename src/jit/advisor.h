// advisor.h - what in a PL/pgSQL routine would keep it from compiling
// natively (the analogue of SQL Server's Native Compilation Advisor).
//
// A token-level scan of the PL/pgSQL source, not a PL/pgSQL parser: it finds
// the constructs the native language does not have (EXECUTE, cursors,
// arrays, handlers in the outermost block, ...), declared types it does
// not handle, and the tables the routine names, which the glue
// (src/pg/native_advisor.cpp) checks are memopt tables. Each finding names
// the line of the PL/pgSQL source it comes from.
#pragma once

#include <string>
#include <vector>

namespace memopt {
namespace native {

struct AdvisorFinding {
  int line = 0;
  std::string construct;  // as written, upper case for keywords
  std::string reason;
};

struct TableMention {
  int line = 0;
  std::vector<std::string> name;  // [schema,] table
};

// Scans `source` (a PL/pgSQL body); appends findings and the tables named.
void AdvisePlpgsql(const std::string &source, std::vector<AdvisorFinding> *findings,
                   std::vector<TableMention> *tables);

}  // namespace native
}  // namespace memopt
