// native_fuzz.cpp - libFuzzer target for the native compiler: any input is
// parsed, bound against a small fixed catalog and, when it binds, compiled to
// machine code (never run). No input may crash, hang or trip a sanitizer;
// errors are fine. Built and run by `make fuzz` (tests/fuzz/README.md).
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "binder.h"
#include "codegen.h"
#include "parser.h"

namespace native = memopt::native;

namespace {

native::TableDesc Table(const char *name) {
  native::TableDesc table;
  table.name = {name};
  table.found = true;
  table.oid = 100;
  table.display_name = name;
  const char *columns[] = {"id", "v", "label", "flag", "ratio"};
  native::Type types[] = {native::Type::kInt4, native::Type::kInt8, native::Type::kText,
                          native::Type::kBool, native::Type::kFloat8};
  for (int i = 0; i < 5; ++i) {
    native::ColumnDesc column;
    column.name = columns[i];
    column.type = types[i];
    table.columns.push_back(column);
  }
  native::IndexDesc pk;
  pk.oid = 101;
  pk.unique = true;
  pk.columns = {0};
  table.indexes.push_back(pk);
  return table;
}

extern "C" void FuzzRuntimeStub() {}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string source(reinterpret_cast<const char *>(data), size);
  native::Routine routine;
  native::SourceError error;
  if (!native::Parse(source, &routine.body, &error)) return 0;
  routine.signature.routine_name = "fuzz";
  routine.signature.returns_void = false;
  routine.signature.result = native::Type::kInt8;
  for (const char *name : {"a", "b"}) {
    native::ParamDesc param;
    param.name = name;
    param.type = native::Type::kInt4;
    routine.signature.params.push_back(param);
  }
  for (auto &name : native::CollectTableNames(routine.body)) {
    native::TableDesc table = Table(name.back().c_str());
    table.name = name;
    table.found = name.size() == 1 && (name[0] == "t" || name[0] == "u");
    if (!table.found) table.message = "relation does not exist";
    routine.tables.push_back(table);
  }
  for (native::ExceptionCondition *condition : native::CollectExceptionConditions(&routine.body))
    if (condition->name == "division_by_zero") condition->sqlstates = {"22012"};
  if (!native::Bind(&routine, &error)) return 0;
  (void)native::ColumnsUsed(routine);
  native::CodegenOptions options;
  options.missing_symbol_stub = reinterpret_cast<void *>(FuzzRuntimeStub);  // every memopt_rt_*
  options.jump_buffer_size = sizeof(sigjmp_buf);
  static volatile int interrupt_pending = 0;
  options.interrupt_pending = &interrupt_pending;
  options.optimize = size % 2 == 0;  // both paths, cheaply
  std::string codegen_error;
  auto code = native::Compile(routine, options, &codegen_error);
  if (code == nullptr) __builtin_trap();  // bound routines must always compile
  return 0;
}
