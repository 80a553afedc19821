// native_codegen_test.cpp - binder and code generator of LANGUAGE
// native_compilation, without PostgreSQL: routines are parsed, bound against
// a hand-made catalog and compiled with LLVM; the runtime functions are fakes
// that record what the generated code asked for.
#include <gtest/gtest.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

#include "binder.h"
#include "codegen.h"
#include "parser.h"

namespace memopt {
namespace native {
namespace {

// --- fake runtime ----------------------------------------------------------------

std::jmp_buf error_jump;
int last_error = -1;
int interrupts = 0;
volatile int interrupt_pending = 0;
std::vector<std::vector<int64_t>> inserted;
std::vector<int64_t> table_rows;  // one int column per row, for the fake scans
size_t next_row = 0;
uint64_t row_value = 0;
bool row_null = false;

extern "C" void FakeError(MemoptNativeCall *, int32_t error, int32_t) {
  last_error = error;
  std::longjmp(error_jump, 1);
}
extern "C" void FakeInterrupt(MemoptNativeCall *) {
  ++interrupts;
  interrupt_pending = 0;
  last_error = 1000;
  std::longjmp(error_jump, 1);
}
extern "C" void FakeInsert(MemoptNativeCall *, int32_t, const uint64_t *values, const bool *nulls) {
  std::vector<int64_t> row;
  for (int i = 0; i < 2; ++i) row.push_back(nulls[i] ? -999 : static_cast<int64_t>(values[i]));
  inserted.push_back(row);
}
size_t inserted_at_last_end = 0;
extern "C" int64_t FakeEndStatement(MemoptNativeCall *, int32_t) {  // rows inserted since the last
  int64_t rows = static_cast<int64_t>(inserted.size() - inserted_at_last_end);
  inserted_at_last_end = inserted.size();
  return rows;
}
extern "C" void FakeOpen(MemoptNativeCall *, int32_t, int32_t, const uint64_t *) { next_row = 0; }
extern "C" bool FakeNext(MemoptNativeCall *, int32_t, int32_t, const uint64_t **values,
                         const bool **nulls) {
  if (next_row >= table_rows.size()) return false;
  row_value = static_cast<uint64_t>(table_rows[next_row++]);
  row_null = false;
  *values = &row_value;
  *nulls = &row_null;
  return true;
}
extern "C" void FakeClose(MemoptNativeCall *, int32_t, int32_t) {}
// A sort of int rows by their first column, ascending: GROUP BY rows have
// two columns (key, one aggregate input), ORDER BY rows one (enough for
// queries of the fake table's one column).
std::vector<std::vector<uint64_t>> sort_rows;
size_t sort_next = 0;
std::vector<uint64_t> sort_row[2];  // in turn: the row before stays readable
bool sort_nulls[4] = {};
extern "C" void FakeSortPut(MemoptNativeCall *, int32_t, int32_t stage, const uint64_t *values,
                            const bool *) {
  sort_rows.push_back({values[0], stage == 0 ? values[1] : 0});
}
extern "C" bool FakeSortNext(MemoptNativeCall *, int32_t, int32_t, const uint64_t **values,
                             const bool **nulls) {
  if (sort_next == 0)
    std::sort(sort_rows.begin(), sort_rows.end(), [](const auto &x, const auto &y) {
      return static_cast<int64_t>(x[0]) < static_cast<int64_t>(y[0]);
    });
  if (sort_next >= sort_rows.size()) return false;
  std::vector<uint64_t> &row = sort_row[sort_next % 2];
  row = sort_rows[sort_next++];
  *values = row.data();
  *nulls = sort_nulls;
  return true;
}
extern "C" void FakeSortClose(MemoptNativeCall *, int32_t, int32_t) {
  sort_rows.clear();
  sort_next = 0;
}
int raised_statement = -1;
extern "C" void FakeRaise(MemoptNativeCall *, int32_t stmt, const uint64_t *, const bool *) {
  raised_statement = stmt;
  last_error = 2000;
  std::longjmp(error_jump, 1);
}

CodegenOptions FakeRuntime() {
  CodegenOptions options;
  options.runtime_symbols["memopt_rt_error"] = reinterpret_cast<void *>(FakeError);
  options.runtime_symbols["memopt_rt_interrupt"] = reinterpret_cast<void *>(FakeInterrupt);
  options.runtime_symbols["memopt_rt_insert"] = reinterpret_cast<void *>(FakeInsert);
  options.runtime_symbols["memopt_rt_end_statement"] = reinterpret_cast<void *>(FakeEndStatement);
  options.runtime_symbols["memopt_rt_open"] = reinterpret_cast<void *>(FakeOpen);
  options.runtime_symbols["memopt_rt_next"] = reinterpret_cast<void *>(FakeNext);
  options.runtime_symbols["memopt_rt_close"] = reinterpret_cast<void *>(FakeClose);
  options.runtime_symbols["memopt_rt_raise"] = reinterpret_cast<void *>(FakeRaise);
  options.runtime_symbols["memopt_rt_sort_put"] = reinterpret_cast<void *>(FakeSortPut);
  options.runtime_symbols["memopt_rt_sort_next"] = reinterpret_cast<void *>(FakeSortNext);
  options.runtime_symbols["memopt_rt_sort_close"] = reinterpret_cast<void *>(FakeSortClose);
  options.interrupt_pending = &interrupt_pending;
  return options;
}

// --- helpers -------------------------------------------------------------------------

TableDesc PairTable(Type key_type = Type::kInt4) {
  TableDesc table;
  table.name = {"t"};
  table.found = true;
  table.oid = 1;
  table.display_name = "t";
  ColumnDesc id;
  id.name = "id";
  id.type = key_type;
  ColumnDesc v;
  v.name = "v";
  v.type = Type::kInt4;
  table.columns = {id, v};
  IndexDesc pk;
  pk.oid = 2;
  pk.unique = true;
  pk.ordered = true;
  pk.columns = {0};
  table.indexes = {pk};
  return table;
}

struct Built {
  Routine routine;
  std::unique_ptr<CompiledRoutine> code;
  SourceError error;
  bool ok = false;
};

// Parses, binds and (with `compile`) compiles `body` as a function of int4 parameters a and b
// returning `result` (void when kUnknown), with table t(id int primary key, v int)
// (id of `key_type`).
std::unique_ptr<Built> Build(const std::string &body, Type result = Type::kInt8,
                             bool compile = true, Type key_type = Type::kInt4) {
  auto built = std::make_unique<Built>();
  Routine &routine = built->routine;
  routine.signature.routine_name = "f";
  routine.signature.returns_void = result == Type::kUnknown;
  routine.signature.result = result;
  for (const char *name : {"a", "b"}) {
    ParamDesc param;
    param.name = name;
    param.type = Type::kInt4;
    routine.signature.params.push_back(param);
  }
  if (!Parse(body, &routine.body, &built->error)) return built;
  for (auto &name : CollectTableNames(routine.body)) {
    TableDesc table = PairTable(key_type);
    table.name = name;
    if (name != std::vector<std::string>{"t"}) {
      table.found = false;
      table.message = "relation does not exist";
      table.sqlstate = "42P01";
    }
    routine.tables.push_back(table);
  }
  if (!Bind(&routine, &built->error)) return built;
  if (!compile) {
    built->ok = true;
    return built;
  }
  std::string codegen_error;
  built->code = Compile(routine, FakeRuntime(), &codegen_error);
  EXPECT_NE(built->code, nullptr) << codegen_error;
  built->ok = built->code != nullptr;
  return built;
}

std::string Wrap(const std::string &statements) {
  return "BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)\n" + statements + "\nEND";
}

struct Outcome {
  bool error = false;
  int error_code = -1;
  bool null = false;
  int64_t value = 0;
};

Outcome Call(const Built &built, std::vector<int64_t> args, std::vector<bool> nulls = {}) {
  uint64_t datums[2] = {0, 0};
  bool arg_nulls[2] = {false, false};
  for (size_t i = 0; i < args.size(); ++i) datums[i] = static_cast<uint64_t>(args[i]);
  for (size_t i = 0; i < nulls.size(); ++i) arg_nulls[i] = nulls[i];
  uint64_t outputs[4] = {0, 0, 0, 0};
  bool output_nulls[4] = {true, true, true, true};
  MemoptNativeCall call{nullptr, datums, arg_nulls, 0, true, 0, outputs, output_nulls};
  Outcome outcome;
  last_error = -1;
  if (setjmp(error_jump) == 0) {
    built.code->entry()(&call);
    outcome.null = call.result_null;
    outcome.value = static_cast<int64_t>(call.result);
    if (!built.routine.outputs.empty()) {  // OUT parameters: the first one is the outcome
      outcome.null = output_nulls[0];
      outcome.value = static_cast<int64_t>(outputs[0]);
    }
  } else {
    outcome.error = true;
    outcome.error_code = last_error;
  }
  return outcome;
}

int64_t Value(const std::string &statements, int64_t a, int64_t b) {
  auto built = Build(Wrap(statements));
  EXPECT_TRUE(built->ok) << built->error.message;
  if (!built->ok) return 0;
  Outcome outcome = Call(*built, {a, b});
  EXPECT_FALSE(outcome.error) << outcome.error_code;
  EXPECT_FALSE(outcome.null);
  return outcome.value;
}

// --- code generation -----------------------------------------------------------------------

TEST(NativeCodegen, ArithmeticAndControlFlow) {
  EXPECT_EQ(Value("RETURN a * 10 + b;", 4, 2), 42);
  EXPECT_EQ(Value("RETURN a / b;", -7, 2), -3);
  EXPECT_EQ(Value("RETURN a % b;", -7, 2), -1);
  EXPECT_EQ(
      Value("DECLARE s bigint := 0;\nFOR i IN a..b LOOP s := s + i; END LOOP;\nRETURN s;", 1, 100),
      5050);
  EXPECT_EQ(Value("DECLARE s int := 0;\nWHILE s < a LOOP s := s + b; END LOOP;\nRETURN s;", 10, 3),
            12);
  EXPECT_EQ(
      Value("IF a > b THEN RETURN 1; ELSIF a = b THEN RETURN 0; ELSE RETURN -1; END IF;", 3, 3), 0);
  EXPECT_EQ(
      Value("DECLARE n int := 0;\nLOOP n := n + 1; EXIT WHEN n >= a; END LOOP;\nRETURN n;", 7, 0),
      7);
  // FOR stops before the loop variable would overflow.
  EXPECT_EQ(Value("DECLARE n int := 0;\nFOR i IN a..b LOOP n := n + 1; END LOOP;\nRETURN n;",
                  2147483645, 2147483647),
            3);
  EXPECT_EQ(Value("RETURN abs(a) + mod(b, 4) + coalesce(NULL, a, b);", -5, 7), 5 + 3 - 5);
  EXPECT_EQ(Value("RETURN (a::float8 / b * 100)::int;", 1, 3), 33);
  EXPECT_EQ(Value("RETURN (2.5::float8)::int + (3.5::float8)::int;", 0, 0),
            2 + 4);  // round half to even
}

TEST(NativeCodegen, OverflowAndDivisionRaisePostgresErrors) {
  auto built = Build(Wrap("RETURN a + b;"), Type::kInt4);
  ASSERT_TRUE(built->ok) << built->error.message;
  EXPECT_EQ(Call(*built, {2147483647, 1}).error_code, MEMOPT_NATIVE_INTEGER_RANGE);
  EXPECT_EQ(Call(*built, {-2147483647, -1}).value, -2147483648LL);
  auto divide = Build(Wrap("RETURN a / b;"), Type::kInt4);
  EXPECT_EQ(Call(*divide, {1, 0}).error_code, MEMOPT_NATIVE_DIVISION_BY_ZERO);
  EXPECT_EQ(Call(*divide, {-2147483648LL, -1}).error_code, MEMOPT_NATIVE_INTEGER_RANGE);
  auto narrow = Build(Wrap("DECLARE s smallint;\ns := a;\nRETURN s;"), Type::kInt4);
  EXPECT_EQ(Call(*narrow, {32767, 0}).value, 32767);
  EXPECT_EQ(Call(*narrow, {32768, 0}).error_code, MEMOPT_NATIVE_SMALLINT_RANGE);
  auto no_return = Build(Wrap("IF a > 0 THEN RETURN 1; END IF;"), Type::kInt4);
  EXPECT_EQ(Call(*no_return, {0, 0}).error_code, MEMOPT_NATIVE_NO_RETURN);
}

TEST(NativeCodegen, NullsPropagateWithoutErrors) {
  auto divide = Build(Wrap("RETURN a / b;"), Type::kInt4);
  Outcome outcome = Call(*divide, {1, 0}, {false, true});
  EXPECT_FALSE(outcome.error);
  EXPECT_TRUE(outcome.null);
  // false AND NULL is false; true OR NULL is true; NULL AND true is NULL.
  auto logic = Build(Wrap("IF (a > 0 AND b > 0) IS NULL THEN RETURN 2; END IF;\n"
                          "IF a > 0 AND b > 0 THEN RETURN 1; END IF;\nRETURN 0;"),
                     Type::kInt4);
  EXPECT_EQ(Call(*logic, {-1, 0}, {false, true}).value, 0);
  EXPECT_EQ(Call(*logic, {1, 0}, {false, true}).value, 2);
  EXPECT_EQ(Call(*logic, {1, 1}).value, 1);
  // The right side of AND is not evaluated once the left is false.
  auto short_circuit =
      Build(Wrap("IF a > 0 AND 10 / a > 1 THEN RETURN 1; END IF;\nRETURN 0;"), Type::kInt4);
  EXPECT_FALSE(Call(*short_circuit, {0, 0}).error);
  auto not_null = Build(Wrap("DECLARE x int NOT NULL := 0;\nx := b;\nRETURN x;"), Type::kInt4);
  EXPECT_EQ(Call(*not_null, {0, 0}, {false, true}).error_code, MEMOPT_NATIVE_NULL_VARIABLE);
}

TEST(NativeCodegen, LongInListsOfConstantsMatchTheirItems) {
  std::string items = "-7";  // -7, 0, 3, ..., 8997, then 3 again
  for (int i = 0; i < 3000; ++i) items += ", " + std::to_string(i * 3);
  auto built = Build(Wrap("IF a IN (" + items +
                          ", 3) THEN RETURN 1; END IF;\n"
                          "IF (a IN (" +
                          items + ")) IS NULL THEN RETURN 2; END IF;\nRETURN 0;"),
                     Type::kInt4);
  ASSERT_TRUE(built->ok) << built->error.message;
  EXPECT_EQ(Call(*built, {8997, 0}).value, 1);
  EXPECT_EQ(Call(*built, {-7, 0}).value, 1);
  EXPECT_EQ(Call(*built, {8998, 0}).value, 0);
  EXPECT_EQ(Call(*built, {-3, 0}).value, 0);
  EXPECT_EQ(Call(*built, {0, 0}, {true, false}).value, 2);  // NULL IN (...) is NULL
  // A bigint operand, a negated and a cast item; a list with a variable item
  // is generated item by item, and still gives NULL for a NULL item.
  EXPECT_EQ(Value("IF a::bigint * 1000000000 IN (-(-2000000000), 5::bigint) THEN RETURN 1; "
                  "END IF;\nRETURN 0;",
                  2, 0),
            1);
  auto mixed = Build(Wrap("IF (a IN (1, b, 3)) IS NULL THEN RETURN 2; END IF;\n"
                          "IF a IN (1, b, 3) THEN RETURN 1; END IF;\nRETURN 0;"),
                     Type::kInt4);
  EXPECT_EQ(Call(*mixed, {2, 2}).value, 1);
  EXPECT_EQ(Call(*mixed, {2, 0}, {false, true}).value, 2);
  EXPECT_EQ(Call(*mixed, {3, 0}, {false, true}).value, 1);
}

TEST(NativeCodegen, LoopsPollInterrupts) {
  auto forever = Build(Wrap("LOOP NULL; END LOOP;"), Type::kUnknown);
  ASSERT_TRUE(forever->ok) << forever->error.message;
  interrupt_pending = 1;
  interrupts = 0;
  Outcome outcome = Call(*forever, {});
  EXPECT_TRUE(outcome.error);
  EXPECT_EQ(interrupts, 1);
}

TEST(NativeCodegen, InsertPassesDatumsInColumnOrder) {
  inserted.clear();
  auto insert = Build(Wrap("FOR i IN 1..a LOOP INSERT INTO t (v, id) VALUES (i * 2, i); END LOOP;"),
                      Type::kUnknown);
  ASSERT_TRUE(insert->ok) << insert->error.message;
  EXPECT_FALSE(Call(*insert, {3, 0}).error);
  ASSERT_EQ(inserted.size(), 3u);
  EXPECT_EQ(inserted[2], (std::vector<int64_t>{6, 3}));  // values in the statement's column order
  ASSERT_EQ(insert->code->statements().size(), 1u);
  EXPECT_EQ(insert->routine.body.statements[0]->body[0]->column_numbers, (std::vector<int>{1, 0}));
}

TEST(NativeCodegen, SelectIntoTakesTheFirstMatchingRowOrNull) {
  table_rows = {5, 8, 13};
  auto select =
      Build(Wrap("DECLARE x int;\nSELECT id INTO x FROM t WHERE id > a;\nRETURN x;"), Type::kInt4);
  ASSERT_TRUE(select->ok) << select->error.message;
  EXPECT_EQ(Call(*select, {6, 0}).value, 8);
  EXPECT_TRUE(Call(*select, {20, 0}).null);
}

TEST(NativeCodegen, ExistsIsTrueAtTheFirstMatchingRow) {
  table_rows = {5, 8, 13};
  auto exists =
      Build(Wrap("IF EXISTS (SELECT 1 FROM t WHERE id > a) THEN RETURN 1; END IF;\n"
                 "RETURN CASE WHEN NOT EXISTS (SELECT * FROM t WHERE id = b) THEN 2 "
                 "ELSE 3 END;"));
  ASSERT_TRUE(exists->ok) << exists->error.message;
  EXPECT_EQ(Call(*exists, {6, 0}).value, 1);
  EXPECT_EQ(Call(*exists, {20, 0}).value, 2);
  EXPECT_EQ(Call(*exists, {20, 8}).value, 3);
  Outcome null_key = Call(*exists, {20, 0}, {false, true});  // id = NULL: no row, not NULL
  EXPECT_FALSE(null_key.null);
  EXPECT_EQ(null_key.value, 2);
}

TEST(NativeCodegen, FoundFollowsSelectIntoWritesAndForLoops) {
  table_rows = {5, 8, 13};
  inserted.clear();
  inserted_at_last_end = 0;
  // Each digit is FOUND after one statement: 1 true, 0 false.
  auto found =
      Build(Wrap("DECLARE x int; DECLARE r int := 0;\n"
                 "r := CASE WHEN found THEN 1 ELSE 0 END;\n"
                 "SELECT id INTO x FROM t WHERE id > a;\n"
                 "r := r * 10 + CASE WHEN found THEN 1 ELSE 0 END;\n"
                 "FOR i IN 1..b LOOP NULL; END LOOP;\n"
                 "r := r * 10 + CASE WHEN found THEN 1 ELSE 0 END;\n"
                 "FOR x IN SELECT id FROM t WHERE id > a LOOP found := false; END LOOP;\n"
                 "r := r * 10 + CASE WHEN found THEN 1 ELSE 0 END;\n"
                 "IF b > 0 THEN INSERT INTO t VALUES (1, 2); END IF;\n"
                 "r := r * 10 + CASE WHEN found THEN 1 ELSE 0 END;\n"
                 "WHILE true LOOP <<l>> FOR j IN 1..2 LOOP EXIT l; END LOOP; EXIT; END LOOP;\n"
                 "r := r * 10 + CASE WHEN found THEN 1 ELSE 0 END;\n"
                 "RETURN r;"));
  ASSERT_TRUE(found->ok) << found->error.message;
  EXPECT_EQ(Call(*found, {6, 2}).value, 11111);  // the first digit, 0, is the start
  EXPECT_EQ(Call(*found, {20, 0}).value, 1);     // nothing found, ran or written; the last FOR ran
}

TEST(NativeCodegen, ForOverAQueryRunsTheBodyPerRow) {
  table_rows = {5, 8, 13, 21};
  auto loop = Build(Wrap("DECLARE s int := 0;\nDECLARE x int;\n"
                         "FOR x IN SELECT id FROM t WHERE id > a LOOP\n"
                         "  CONTINUE WHEN x = 13;\n  s := s * 100 + x;\n  EXIT WHEN s > 1000;\n"
                         "END LOOP;\nRETURN s * 10 + coalesce(x, 0) % 10;"),
                    Type::kInt8);
  ASSERT_TRUE(loop->ok) << loop->error.message;
  EXPECT_EQ(Call(*loop, {6, 0}).value, 821 * 10 + 1);  // 8, then 13 skipped, 21, exit
  EXPECT_EQ(Call(*loop, {30, 0}).value, 0);            // no row: x stays NULL
  auto bad = Build(Wrap("DECLARE x int;\nFOR x, y IN SELECT id FROM t LOOP NULL; END LOOP;"),
                   Type::kUnknown, false);
  EXPECT_FALSE(bad->ok);
  EXPECT_EQ(bad->error.message, "query has 2 targets but 1 values");
}

TEST(NativeCodegen, AggregatesInSelectInto) {
  table_rows = {5, 8, 13, 21};
  auto stats =
      Build(Wrap("DECLARE c bigint; DECLARE s bigint; DECLARE lo int; DECLARE hi int;\n"
                 "SELECT count(*), sum(id), min(id), max(id) INTO c, s, lo, hi\n"
                 "  FROM t WHERE id > a;\n"
                 "RETURN coalesce(c, -1) * 1000000 + coalesce(s, 0) * 1000 + "
                 "coalesce(lo, 0) * 10 + coalesce(hi, 0) % 10;"));
  ASSERT_TRUE(stats->ok) << stats->error.message;
  EXPECT_EQ(Call(*stats, {6, 0}).value, 3 * 1000000 + 42 * 1000 + 8 * 10 + 1);
  EXPECT_EQ(Call(*stats, {100, 0}).value, 0);  // no row: count 0, the others NULL
  auto avg =
      Build(Wrap("DECLARE m float8;\nSELECT avg(id::float8) * 2 INTO m FROM t;\n"
                 "RETURN coalesce(m, -1)::bigint;"));
  ASSERT_TRUE(avg->ok) << avg->error.message;
  EXPECT_EQ(Call(*avg, {0, 0}).value, 24);  // (5 + 8 + 13 + 21) / 4 * 2 = 23.5 -> 24
}

TEST(NativeCodegen, LabeledExitAndContinueLeaveTheNamedLoop) {
  const char *body =
      "DECLARE s int := 0;\n<<outer>> FOR i IN 1..a LOOP\n  FOR j IN 1..a LOOP\n"
      "    CONTINUE outer WHEN j > i;\n    s := s + 1;\n    EXIT outer WHEN s >= b;\n"
      "  END LOOP;\nEND LOOP outer;\nRETURN s;";
  EXPECT_EQ(Value(body, 5, 100), 15);  // 1 + 2 + 3 + 4 + 5: CONTINUE outer ends each row
  EXPECT_EQ(Value(body, 5, 7), 7);     // EXIT outer from the inner loop
  auto unknown = Build(Wrap("LOOP EXIT nosuch; END LOOP;"), Type::kUnknown, false);
  EXPECT_FALSE(unknown->ok);
  EXPECT_EQ(unknown->error.message,
            "there is no label \"nosuch\" attached to any block or loop enclosing this statement");
}

TEST(NativeCodegen, ExitLabelLeavesTheNamedBlock) {
  const char *body =
      "DECLARE s int := 0;\n<<b>> BEGIN\n  FOR i IN 1..a LOOP\n    s := s + i;\n"
      "    EXIT b WHEN s >= b;\n  END LOOP;\n  s := -s;\nEND b;\nRETURN s;";
  EXPECT_EQ(Value(body, 4, 100), -10);  // the loop ends, the block goes on
  EXPECT_EQ(Value(body, 4, 3), 3);      // EXIT b skips the rest of the block
  auto unlabeled = Build(Wrap("<<b>> BEGIN EXIT; END;"), Type::kUnknown, false);
  EXPECT_FALSE(unlabeled->ok);
  EXPECT_EQ(unlabeled->error.message, "EXIT cannot be used outside a loop");
  auto resumed = Build(Wrap("<<b>> BEGIN LOOP CONTINUE b; END LOOP; END;"), Type::kUnknown, false);
  EXPECT_FALSE(resumed->ok);
  EXPECT_EQ(resumed->error.message, "block label \"b\" cannot be used in CONTINUE");
}

TEST(NativeCodegen, GroupByHavingOrderByLimitOffset) {
  table_rows = {5, 8, 5, 13, 8, 5};
  auto groups =
      Build(Wrap("DECLARE s bigint := 0; DECLARE k int; DECLARE n bigint;\n"
                 "FOR k, n IN SELECT id, count(*) FROM t GROUP BY id HAVING count(*) >= a "
                 "LIMIT b LOOP\n"
                 "  s := s * 100 + k * 10 + n;\n"
                 "END LOOP;\nRETURN s;"));
  ASSERT_TRUE(groups->ok) << groups->error.message;
  EXPECT_EQ(Call(*groups, {1, 10}).value, 53 * 10000 + 82 * 100 + 131);  // 5:3 8:2 13:1
  EXPECT_EQ(Call(*groups, {2, 10}).value, 53 * 100 + 82);                // HAVING
  EXPECT_EQ(Call(*groups, {1, 1}).value, 53);                            // LIMIT
  table_rows = {13, 5, 21, 8};
  auto ordered =
      Build(Wrap("DECLARE s bigint := 0; DECLARE k int;\n"
                 "FOR k IN SELECT id FROM t ORDER BY id LIMIT 2 OFFSET a LOOP\n"
                 "  s := s * 100 + k;\n"
                 "END LOOP;\nRETURN s;"));
  ASSERT_TRUE(ordered->ok) << ordered->error.message;
  EXPECT_EQ(Call(*ordered, {1, 0}).value, 813);  // 5 8 13 21: skip 1, take 2
  EXPECT_EQ(Call(*ordered, {3, 0}).value, 21);
  Outcome negative = Call(*ordered, {-1, 0});  // checked before any row is read
  EXPECT_TRUE(negative.error);
  EXPECT_EQ(negative.error_code, MEMOPT_NATIVE_OFFSET_NEGATIVE);
}

TEST(NativeCodegen, CaseStatementsAndExpressions) {
  auto simple =
      Build(Wrap("CASE a WHEN 1, 2 THEN RETURN 10; WHEN 3 THEN RETURN 30;\n"
                 "ELSE RETURN CASE WHEN b > 0 THEN b ELSE -b END; END CASE;"));
  ASSERT_TRUE(simple->ok) << simple->error.message;
  EXPECT_EQ(Call(*simple, {2, 0}).value, 10);
  EXPECT_EQ(Call(*simple, {3, 0}).value, 30);
  EXPECT_EQ(Call(*simple, {9, -4}).value, 4);
  auto no_else = Build(Wrap("CASE WHEN a > 0 THEN RETURN 1; END CASE;"));
  ASSERT_TRUE(no_else->ok) << no_else->error.message;
  EXPECT_EQ(Call(*no_else, {1, 0}).value, 1);
  // No branch taken and no ELSE: "case not found", SQLSTATE 20000, as PL/pgSQL.
  EXPECT_EQ(Call(*no_else, {0, 0}).error_code, 2000);
  const Stmt *raise = no_else->code->statements()[raised_statement];
  EXPECT_EQ(raise->format, "case not found");
  EXPECT_EQ(raise->errcode, "20000");
  auto value = Build(Wrap("RETURN CASE a WHEN 1 THEN 100 WHEN 2 THEN 200 END;"));
  ASSERT_TRUE(value->ok);
  EXPECT_EQ(Call(*value, {2, 0}).value, 200);
  EXPECT_TRUE(Call(*value, {5, 0}).null);  // no ELSE: NULL
}

TEST(NativeCodegen, OutParametersAreTheResult) {
  auto built = std::make_unique<Built>();
  Routine &routine = built->routine;
  routine.signature.routine_name = "p";
  routine.signature.is_procedure = true;
  ParamDesc in, inout, out;
  in.name = "a";
  in.type = Type::kInt4;
  inout.name = "acc";
  inout.type = Type::kInt8;
  inout.mode = ParamMode::kInOut;
  out.name = "doubled";
  out.type = Type::kInt4;
  out.mode = ParamMode::kOut;
  routine.signature.params = {in, inout, out};
  ASSERT_TRUE(Parse(Wrap("acc := acc + a;\ndoubled := a * 2;\nIF a > 5 THEN RETURN; END IF;\n"
                         "doubled := -1;"),
                    &routine.body, &built->error));
  ASSERT_TRUE(Bind(&routine, &built->error)) << built->error.message;
  EXPECT_EQ(routine.outputs.size(), 2u);
  std::string error;
  built->code = Compile(routine, FakeRuntime(), &error);
  ASSERT_NE(built->code, nullptr) << error;
  // Procedure arguments: a, acc, and a placeholder for the OUT parameter.
  uint64_t args[3] = {7, 100, 0};
  bool nulls[3] = {false, false, true};
  uint64_t outputs[2];
  bool output_nulls[2];
  MemoptNativeCall call{nullptr, args, nulls, 0, true, 0, outputs, output_nulls};
  built->code->entry()(&call);
  EXPECT_EQ(outputs[0], 107u);
  EXPECT_EQ(static_cast<int32_t>(outputs[1]), 14);
  args[0] = 1;
  built->code->entry()(&call);
  EXPECT_EQ(static_cast<int32_t>(outputs[1]), -1);
  EXPECT_FALSE(output_nulls[1]);
  // RETURN with a value is refused where OUT parameters are the result.
  Routine other;
  other.signature = routine.signature;
  SourceError bind_error;
  ASSERT_TRUE(Parse(Wrap("RETURN 1;"), &other.body, &bind_error));
  EXPECT_FALSE(Bind(&other, &bind_error));
  EXPECT_EQ(bind_error.message, "RETURN cannot have a parameter in a routine with OUT parameters");
}

// --- binding -------------------------------------------------------------------------------

TEST(NativeBinder, ChoosesTheIndexWhoseColumnsWhereFixes) {
  auto lookup =
      Build(Wrap("UPDATE t SET v = v + 1 WHERE id = a AND v > 0;"), Type::kUnknown, false);
  ASSERT_TRUE(lookup->ok) << lookup->error.message;
  const Stmt &update = *lookup->routine.body.statements[0];
  EXPECT_EQ(update.target.access_index, 0);
  ASSERT_EQ(update.target.access_keys.size(), 1u);
  auto scan = Build(Wrap("DELETE FROM t WHERE v = a;"), Type::kUnknown, false);
  ASSERT_TRUE(scan->ok);
  EXPECT_EQ(scan->routine.body.statements[0]->target.access_index, -1);
  // A key that reads a column of the same row is no lookup key.
  auto self = Build(Wrap("DELETE FROM t WHERE id = v;"), Type::kUnknown, false);
  ASSERT_TRUE(self->ok);
  EXPECT_EQ(self->routine.body.statements[0]->target.access_index, -1);
}

TEST(NativeBinder, PlainSubqueriesInFromArePulledUp) {
  auto pulled =
      Build(Wrap("SELECT count(*) INTO a FROM t s, (SELECT id AS k, v FROM t WHERE v > b) "
                 "d WHERE d.k = s.v AND d.v < 9; RETURN a;"),
            Type::kInt8, false);
  ASSERT_TRUE(pulled->ok) << pulled->error.message;
  const Stmt &query = *pulled->routine.body.statements[0];
  const TableRef &ref = query.from[1];
  EXPECT_FALSE(ref.query);
  EXPECT_EQ(ref.table, query.from[0].table);
  EXPECT_EQ(ref.access_index, 0);     // d.k = s.v looks up t's key
  EXPECT_EQ(ref.filters.size(), 3u);  // with the subquery's own v > b
  // An output that is an expression is computed where it is read.
  auto expression =
      Build(Wrap("SELECT sum(d.w) INTO a FROM t s, (SELECT id AS k, v * 2 + b AS w FROM t) d "
                 "WHERE d.k = s.v AND d.w < 9; RETURN a;"),
            Type::kInt8, false);
  ASSERT_TRUE(expression->ok) << expression->error.message;
  const Stmt &sum = *expression->routine.body.statements[0];
  EXPECT_FALSE(sum.from[1].query);
  EXPECT_EQ(sum.from[1].access_index, 0);
  const Expr &read = *sum.aggregates[0]->args[0];
  ASSERT_EQ(read.kind, ExprKind::kBinary);  // (v * 2) + b
  const Expr &column = *read.args[0]->args[0];
  EXPECT_EQ(column.source, 1);
  EXPECT_EQ(column.column, 1);
  EXPECT_EQ(read.args[1]->variable >= 0, true);
  // A join is pulled up too: its tables take the subquery's place, and the
  // items after it move up.
  auto join = Build(Wrap("SELECT count(*) INTO a FROM t s, (SELECT x.id AS k, y.v + x.v AS w "
                         "FROM t x, t y WHERE y.id = x.v) d, t z WHERE d.k = s.v AND z.id = d.w; "
                         "RETURN a;"),
                    Type::kInt8, false);
  ASSERT_TRUE(join->ok) << join->error.message;
  const Stmt &joined = *join->routine.body.statements[0];
  ASSERT_EQ(joined.from.size(), 4u);
  for (const TableRef &item : joined.from) EXPECT_FALSE(item.query);
  EXPECT_EQ(joined.from[1].access_index, 0);  // x by d.k = s.v
  EXPECT_EQ(joined.from[2].access_index, 0);  // y by y.id = x.v
  EXPECT_EQ(joined.from[3].access_index, 0);  // z by z.id = y.v + x.v
  // Not pulled up: a volatile output, LIMIT, aggregates, a LEFT JOIN item,
  // a WHERE with a subquery: computed apart, read in turn.
  for (const char *item :
       {"(SELECT id AS k, random() AS r FROM t) d", "(SELECT id AS k, v FROM t LIMIT 5) d",
        "(SELECT max(id) AS k, v FROM t GROUP BY v) d",
        "(SELECT id AS k, v FROM t WHERE EXISTS (SELECT 1 FROM t u WHERE u.id = b)) d"}) {
    auto apart = Build(Wrap(std::string("SELECT count(*) INTO a FROM t s, ") + item +
                            " WHERE d.k = s.v; RETURN a;"),
                       Type::kInt8, false);
    ASSERT_TRUE(apart->ok) << item << ": " << apart->error.message;
    EXPECT_TRUE(apart->routine.body.statements[0]->from[1].query) << item;
    EXPECT_EQ(apart->routine.body.statements[0]->from[1].access_index, -1) << item;
  }
  auto left = Build(Wrap("SELECT count(*) INTO a FROM t s LEFT JOIN (SELECT id AS k FROM t) d "
                         "ON d.k = s.v; RETURN a;"),
                    Type::kInt8, false);
  ASSERT_TRUE(left->ok) << left->error.message;
  EXPECT_TRUE(left->routine.body.statements[0]->from[1].query);
}

TEST(NativeBinder, RangeConditionsOnAnOrderedIndexScanARange) {
  auto range = Build(Wrap("SELECT count(*) INTO a FROM t WHERE id >= a AND b > id AND v < 3; "
                          "RETURN a;"),
                     Type::kInt8, false);
  ASSERT_TRUE(range->ok) << range->error.message;
  const TableRef &ref = range->routine.body.statements[0]->from[0];
  EXPECT_TRUE(ref.range_scan);
  EXPECT_EQ(ref.access_index, 0);
  EXPECT_EQ(ref.range_ops, (std::vector<std::string>{">=", "<"}));  // b > id is id < b
  EXPECT_EQ(ref.access_keys.size(), 2u);
  auto equality = Build(Wrap("SELECT count(*) INTO a FROM t WHERE id = a AND id > b; RETURN a;"),
                        Type::kInt8, false);
  ASSERT_TRUE(equality->ok);
  EXPECT_FALSE(equality->routine.body.statements[0]->from[0].range_scan);  // a lookup wins
}

TEST(NativeBinder, InListsOnAKeyAreOneLookupPerValue) {
  auto in_list = Build(Wrap("SELECT count(*) INTO a FROM t WHERE v > 0 AND id IN (1, a, b + 1); "
                            "RETURN a;"),
                       Type::kInt8, false);
  ASSERT_TRUE(in_list->ok) << in_list->error.message;
  const TableRef &ref = in_list->routine.body.statements[0]->from[0];
  EXPECT_EQ(ref.access_index, 0);
  EXPECT_FALSE(ref.range_scan);
  EXPECT_EQ(ref.alternative_key, 0);
  ASSERT_EQ(ref.alternatives.size(), 3u);
  EXPECT_EQ(ref.alternatives[0]->kind, ExprKind::kInt);
  EXPECT_EQ(ref.filters.size(), 2u);  // the IN list is still tested on each row
  auto ors = Build(Wrap("SELECT count(*) INTO a FROM t WHERE id = 1 OR id = a; RETURN a;"),
                   Type::kInt8, false);
  ASSERT_TRUE(ors->ok);
  EXPECT_EQ(ors->routine.body.statements[0]->from[0].alternatives.size(), 2u);
  // Not one column (v is not indexed), a LEFT JOIN item, or an expression of the key: scans.
  for (const char *where :
       {"id = 1 OR v = 2", "v IN (1, 2)", "id + 0 IN (1, 2)", "id = 1 OR id > 5"}) {
    auto scan =
        Build(Wrap(std::string("SELECT count(*) INTO a FROM t WHERE ") + where + "; RETURN a;"),
              Type::kInt8, false);
    ASSERT_TRUE(scan->ok) << where;
    EXPECT_TRUE(scan->routine.body.statements[0]->from[0].alternatives.empty()) << where;
    EXPECT_EQ(scan->routine.body.statements[0]->from[0].access_index, -1) << where;
  }
  EXPECT_EQ(ref.alternative_set, -1);  // integers: repeats are dropped by comparing Datums
  // Text keys: a value set sorts them and drops repeats.
  auto text = Build(Wrap("SELECT count(*) INTO a FROM t WHERE id IN ('x', a::text, 'x'); "
                         "RETURN a;"),
                    Type::kInt8, false, Type::kText);
  ASSERT_TRUE(text->ok) << text->error.message;
  EXPECT_EQ(text->routine.body.statements[0]->from[0].alternatives.size(), 3u);
  EXPECT_EQ(text->routine.body.statements[0]->from[0].alternative_set, 0);
  EXPECT_EQ(text->routine.value_sets, 1);
  auto left = Build(Wrap("SELECT count(*) INTO a FROM t x LEFT JOIN t y ON y.id IN (x.v, 2); "
                         "RETURN a;"),
                    Type::kInt8, false);
  ASSERT_TRUE(left->ok) << left->error.message;
  EXPECT_TRUE(left->routine.body.statements[0]->from[1].alternatives.empty());
}

TEST(NativeBinder, JoinLooksUpTheInnerTableByTheOuterRow) {
  auto join = Build(Wrap("SELECT count(*) INTO a FROM t x JOIN t y ON y.id = x.v WHERE x.v > b "
                         "AND y.v < x.id; RETURN a;"),
                    Type::kInt8, false);
  ASSERT_TRUE(join->ok) << join->error.message;
  const Stmt &query = *join->routine.body.statements[0];
  ASSERT_EQ(query.from.size(), 2u);
  EXPECT_EQ(query.from[0].access_index, -1);    // nothing fixes x.id
  EXPECT_EQ(query.from[1].access_index, 0);     // y.id = x.v, known when y is read
  EXPECT_EQ(query.from[0].filters.size(), 1u);  // x.v > b, tested before y is read
  EXPECT_EQ(query.from[1].filters.size(), 2u);
  // Unqualified names that two FROM items have are ambiguous.
  auto ambiguous = Build(Wrap("SELECT v INTO a FROM t x, t y; RETURN a;"), Type::kInt8, false);
  EXPECT_FALSE(ambiguous->ok);
  EXPECT_EQ(ambiguous->error.message, "column reference \"v\" is ambiguous");
  EXPECT_EQ(ambiguous->error.sqlstate, "42702");
  auto twice = Build(Wrap("SELECT 1 INTO a FROM t, t; RETURN a;"), Type::kInt8, false);
  EXPECT_FALSE(twice->ok);
  EXPECT_EQ(twice->error.sqlstate, "42712");
}

TEST(NativeBinder, ExistsSubqueriesReadTheRowsAroundThem) {
  auto semi = Build(Wrap("SELECT count(*) INTO a FROM t x, t z WHERE EXISTS (SELECT 1 FROM t y "
                         "WHERE y.id = z.v AND y.v > x.id) AND x.v = a; RETURN a;"),
                    Type::kInt8, false);
  ASSERT_TRUE(semi->ok) << semi->error.message;
  const Stmt &query = *semi->routine.body.statements[0];
  ASSERT_EQ(query.from[1].filters.size(), 1u);  // the EXISTS waits for z, the last item it reads
  const Expr &exists = *query.from[1].filters[0];
  ASSERT_EQ(exists.kind, ExprKind::kExists);
  const TableRef &inner = exists.query->from[0];
  EXPECT_EQ(inner.access_index, 0);  // y.id = z.v: a lookup by the outer row's value
  ASSERT_EQ(inner.access_keys.size(), 1u);
  EXPECT_EQ(inner.access_keys[0]->outer, 1);
  EXPECT_EQ(inner.access_keys[0]->source, 1);
  EXPECT_EQ(inner.filters.size(), 2u);  // y.v > x.id too, tested on y's row
  // The subquery's own FROM items come first; names it lacks are the outer query's.
  auto shadowed = Build(Wrap("SELECT count(*) INTO a FROM t WHERE EXISTS (SELECT 1 FROM t "
                             "WHERE id = 1); RETURN a;"),
                        Type::kInt8, false);
  ASSERT_TRUE(shadowed->ok) << shadowed->error.message;
  const TableRef &own = shadowed->routine.body.statements[0]->from[0].filters[0]->query->from[0];
  ASSERT_EQ(own.access_keys.size(), 1u);  // id = 1 looks up the subquery's own t
  EXPECT_EQ(own.access_keys[0]->kind, ExprKind::kInt);
  auto missing = Build(Wrap("RETURN EXISTS (SELECT 1 FROM t WHERE q.id = 1);"), Type::kBool, false);
  EXPECT_FALSE(missing->ok);
  EXPECT_EQ(missing->error.sqlstate, "42P01");
}

// PostgreSQL's InitPlans: a subquery read per row of a query that reads
// nothing of the rows around it is computed once per execution of its owner.
TEST(NativeBinder, UncorrelatedSubqueriesAreCachedByTheirOwner) {
  auto built = Build(Wrap("SELECT count(*) INTO a FROM t o WHERE o.v > (SELECT min(v) FROM t "
                          "WHERE id > b) AND o.v < (SELECT max(v) FROM t i WHERE i.id = o.id) "
                          "AND (o.v + 1) IN (SELECT v FROM t) AND EXISTS (SELECT 1 FROM t); "
                          "b := (SELECT max(v) FROM t WHERE v < (SELECT avg(v) FROM t) AND "
                          "id = a); RETURN a;"),
                     Type::kInt8, false);
  ASSERT_TRUE(built->ok) << built->error.message;
  const Stmt &query = *built->routine.body.statements[0];
  std::vector<const Expr *> subqueries;
  ForEachQueryExpression(query, [&](const Expr *e) {
    std::vector<const Expr *> stack{e};
    while (!stack.empty()) {
      const Expr *x = stack.back();
      stack.pop_back();
      if (x->query) subqueries.push_back(x);
      for (const ExprPtr &arg : x->args) stack.push_back(arg.get());
    }
  });
  ASSERT_EQ(subqueries.size(), 4u);
  for (const Expr *subquery : subqueries) {
    bool reads_outer_row = subquery->kind == ExprKind::kInSubquery ||  // x, computed per row
                           subquery->query->from[0].alias == "i";      // i.id = o.id
    EXPECT_EQ(subquery->cached, !reads_outer_row) << static_cast<int>(subquery->kind);
    EXPECT_EQ(subquery->value_set, subquery->kind == ExprKind::kInSubquery ? 0 : -1);
  }
  // min(v) (reads variable b), EXISTS, and the IN subquery's value set
  EXPECT_EQ(query.cached_subqueries.size(), 3u);
  // In procedural code the outermost subquery runs once where it stands and
  // owns the subqueries in it.
  const Stmt &assign = *built->routine.body.statements[1];
  ASSERT_EQ(assign.value->kind, ExprKind::kScalarSubquery);
  EXPECT_FALSE(assign.value->cached);
  EXPECT_TRUE(assign.cached_subqueries.empty());
  ASSERT_EQ(assign.value->query->cached_subqueries.size(), 1u);
  EXPECT_EQ(assign.value->query->cached_subqueries[0]->query->select_list[0]->op, "avg");
}

TEST(NativeBinder, GroupedQueriesNameOnlyGroupColumnsOutsideAggregates) {
  auto grouped = Build(Wrap("SELECT v, count(*) INTO a, b FROM t GROUP BY v ORDER BY 2 DESC, v "
                            "LIMIT 1; RETURN a;"),
                       Type::kInt8, false);
  ASSERT_TRUE(grouped->ok) << grouped->error.message;
  const Stmt &query = *grouped->routine.body.statements[0];
  EXPECT_EQ(query.group_stage.types.size(), 2u);  // v, then count(*)'s placeholder
  ASSERT_EQ(query.order_stage.keys.size(), 2u);
  EXPECT_EQ(query.order_stage.keys[0].column, 1);
  EXPECT_TRUE(query.order_stage.keys[0].descending);
  EXPECT_TRUE(query.order_stage.keys[0].nulls_first);  // DESC puts NULLs first
  EXPECT_EQ(query.order_stage.keys[1].column, 2);      // v: an expression after the list
  auto loose =
      Build(Wrap("SELECT id, count(*) INTO a, b FROM t GROUP BY v; RETURN a;"), Type::kInt8, false);
  EXPECT_FALSE(loose->ok);
  EXPECT_EQ(loose->error.sqlstate, "42803");
  EXPECT_EQ(loose->error.message,
            "column \"t.id\" must appear in the GROUP BY clause or be used in an aggregate "
            "function");
  auto position = Build(Wrap("SELECT v INTO a FROM t ORDER BY 3; RETURN a;"), Type::kInt8, false);
  EXPECT_FALSE(position->ok);
  EXPECT_EQ(position->error.message, "ORDER BY position 3 is not in select list");
}

struct BindCase {
  const char *statements;
  const char *message;
  const char *sqlstate;
  int line;
  int column;
};

TEST(NativeBinder, ErrorsNameTheProblemAndItsPosition) {
  const BindCase cases[] = {
      {"RETURN nosuch;", "variable \"nosuch\" does not exist", "42704", 2, 8},
      {"RETURN 'x' + 1;", "invalid input", "", 0, 0},  // a string next to an int takes its type
      {"DECLARE b bool := a;",
       "variable \"b\" is of type boolean but expression is of type integer", "42804", 2, 19},
      {"IF a THEN NULL; END IF;", "argument of IF must be type boolean, not type integer", "42804",
       2, 4},
      {"UPDATE t SET nope = 1;", "column \"nope\" of relation \"t\" does not exist", "42703", 2,
       14},
      {"DELETE FROM t WHERE a = id AND x.id = 1;", "missing FROM-clause entry for table \"x\"",
       "42P01", 2, 32},
      {"INSERT INTO u VALUES (1);", "relation does not exist", "42P01", 2, 13},
      {"EXIT;", "EXIT cannot be used outside a loop", "42601", 2, 1},
      {"RAISE NOTICE '% %', a;", "too few parameters specified for RAISE", "42601", 2, 14},
      {"DECLARE x int;\nDECLARE x int;", "variable \"x\" is already declared", "42710", 3, 1},
      {"RETURN foo(a);", "function foo is not supported by natively compiled routines", "42883", 2,
       8},
      {"RETURN count(*);",
       "aggregate functions are only allowed in the select list, HAVING and ORDER BY of a query",
       "42803", 2, 8},
      {"DECLARE x bigint; DECLARE y int;\nSELECT count(*), v INTO x, y FROM t;",
       "column \"t.v\" must appear in the GROUP BY clause or be used in an aggregate function",
       "42803", 3, 18},
      {"DECLARE x float8;\nSELECT avg(v > 0) INTO x FROM t;",
       "function avg(boolean) does not exist", "42883", 3, 8},
      {"DECLARE x bigint;\nSELECT sum(max(v)) INTO x FROM t;",
       "aggregate function calls cannot be nested", "42601", 3, 12},
  };
  for (const BindCase &c : cases) {
    auto built = Build(Wrap(c.statements), Type::kInt8, false);
    if (c.line == 0) continue;  // compiles; checked at run time by PostgreSQL's input function
    EXPECT_FALSE(built->ok) << c.statements;
    EXPECT_EQ(built->error.message, c.message) << c.statements;
    EXPECT_EQ(built->error.sqlstate, c.sqlstate) << c.statements;
    EXPECT_EQ(built->error.pos.line, c.line) << c.statements;
    EXPECT_EQ(built->error.pos.column, c.column) << c.statements;
  }
}

TEST(NativeBinder, OrderByNamesAnOutputColumnFirst) {
  auto built = Build(Wrap("SELECT id AS v, v AS id INTO a, b FROM t ORDER BY v DESC, id; "
                          "RETURN a;"),
                     Type::kInt8, false);
  ASSERT_TRUE(built->ok) << built->error.message;
  const Stmt &query = *built->routine.body.statements[0];
  EXPECT_EQ(query.order_by[0].output, 0);  // v is the first output column, t.id
  EXPECT_EQ(query.order_by[1].output, 1);
  auto twice = Build(Wrap("SELECT id AS q, v AS q INTO a, b FROM t ORDER BY q; RETURN a;"),
                     Type::kInt8, false);
  EXPECT_FALSE(twice->ok);
  EXPECT_EQ(twice->error.sqlstate, "42702");
  EXPECT_EQ(twice->error.message, "ORDER BY \"q\" is ambiguous");
}

TEST(NativeBinder, GroupedExpressionsAreReadFromTheGroupRow) {
  auto built = Build(Wrap("SELECT (v + 1) * 2 AS w, count(*) INTO a, b FROM t GROUP BY v + 1 "
                          "ORDER BY v + 1; RETURN a;"),
                     Type::kInt8, false);
  ASSERT_TRUE(built->ok) << built->error.message;
  const Stmt &query = *built->routine.body.statements[0];
  ASSERT_EQ(query.group_by.size(), 1u);
  const Expr *product = query.select_list[0].get();
  while (product->kind == ExprKind::kCast) product = product->args[0].get();
  EXPECT_EQ(product->group_key, -1);          // (v + 1) * 2 is computed per group ...
  EXPECT_EQ(product->args[0]->group_key, 0);  // ... from the key v + 1
  EXPECT_EQ(query.order_by[0].expr->group_key, 0);
  auto distinct =
      Build(Wrap("SELECT DISTINCT v % 3, id * 2 INTO a, b FROM t; RETURN a;"), Type::kInt8, false);
  ASSERT_TRUE(distinct->ok) << distinct->error.message;
  EXPECT_EQ(distinct->routine.body.statements[0]->group_by.size(), 2u);
  auto by_alias =
      Build(Wrap("SELECT v % 3 AS m INTO a FROM t GROUP BY m; RETURN a;"), Type::kInt8, false);
  ASSERT_TRUE(by_alias->ok) << by_alias->error.message;
  EXPECT_EQ(by_alias->routine.body.statements[0]->group_by[0]->op, "%");
  auto other = Build(Wrap("SELECT v INTO a FROM t GROUP BY v + 1; RETURN a;"), Type::kInt8, false);
  EXPECT_FALSE(other->ok);
  EXPECT_EQ(other->error.sqlstate, "42803");
  auto unsorted =
      Build(Wrap("SELECT DISTINCT v INTO a FROM t ORDER BY id; RETURN a;"), Type::kInt8, false);
  EXPECT_FALSE(unsorted->ok);
  EXPECT_EQ(unsorted->error.sqlstate, "42P10");
}

TEST(NativeBinder, DistinctAggregatesSortTheirInputAfterTheGroup) {
  auto built = Build(Wrap("SELECT count(DISTINCT v), sum(DISTINCT v), count(*) INTO a, b, a FROM t "
                          "GROUP BY id % 2; RETURN a;"),
                     Type::kInt8, false);
  ASSERT_TRUE(built->ok) << built->error.message;
  const Stmt &query = *built->routine.body.statements[0];
  EXPECT_EQ(query.distinct_input, 1);  // the key id % 2, then count(DISTINCT v)'s input
  ASSERT_EQ(query.group_stage.keys.size(), 2u);
  EXPECT_EQ(query.group_stage.keys[1].column, 1);
  auto alone = Build(Wrap("SELECT count(DISTINCT v) INTO a FROM t; RETURN a;"), Type::kInt8, false);
  ASSERT_TRUE(alone->ok) << alone->error.message;
  EXPECT_EQ(alone->routine.body.statements[0]->distinct_input, 0);
  EXPECT_EQ(alone->routine.body.statements[0]->group_stage.keys.size(), 1u);
  auto plain = Build(Wrap("SELECT count(v) INTO a FROM t; RETURN a;"), Type::kInt8, false);
  ASSERT_TRUE(plain->ok) << plain->error.message;
  EXPECT_TRUE(plain->routine.body.statements[0]->group_stage.types.empty());
  auto two = Build(Wrap("SELECT count(DISTINCT v), count(DISTINCT id) INTO a, b FROM t; RETURN a;"),
                   Type::kInt8, false);
  EXPECT_FALSE(two->ok);
  EXPECT_EQ(two->error.sqlstate, "0A000");
  auto scalar = Build(Wrap("a := abs(DISTINCT 1); RETURN a;"), Type::kInt8, false);
  EXPECT_FALSE(scalar->ok);
  EXPECT_EQ(scalar->error.sqlstate, "42809");
}

// The value set number of the IN subquery a statement's WHERE is (-2: not one).
int ValueSetOfWhere(const std::string &statements) {
  auto built = Build(Wrap(statements), Type::kInt8, false);
  EXPECT_TRUE(built->ok) << built->error.message;
  if (!built->ok) return -2;
  const Stmt &stmt = *built->routine.body.statements[0];
  const Expr *where = stmt.where ? stmt.where.get() : stmt.conds[0].get();
  return where->kind == ExprKind::kInSubquery ? where->value_set : -2;
}

TEST(NativeBinder, UncorrelatedInSubqueriesOfQueriesAreHashed) {
  EXPECT_EQ(ValueSetOfWhere("SELECT count(*) INTO a FROM t WHERE v + 1 IN "
                            "(SELECT x.id FROM t x WHERE x.v > b); RETURN a;"),
            0);
  // It reads the row around it; LIMIT keeps it per row; procedural code
  // runs it once anyway.
  EXPECT_EQ(ValueSetOfWhere("SELECT count(*) INTO a FROM t WHERE v IN "
                            "(SELECT x.id FROM t x WHERE x.v > t.id); RETURN a;"),
            -1);
  EXPECT_EQ(ValueSetOfWhere("SELECT count(*) INTO a FROM t WHERE v IN "
                            "(SELECT x.id FROM t x LIMIT 2); RETURN a;"),
            -1);
  EXPECT_EQ(ValueSetOfWhere("IF a IN (SELECT id FROM t) THEN RETURN 1; END IF; RETURN 0;"), -1);
}

// The value set number of the IN list an IF tests (-2: not bound).
int ValueSetOfInList(const std::string &condition) {
  auto built =
      Build(Wrap("IF " + condition + " THEN RETURN 1; END IF; RETURN 0;"), Type::kInt8, false);
  EXPECT_TRUE(built->ok) << built->error.message;
  if (!built->ok) return -2;
  const Expr *list = built->routine.body.statements[0]->conds[0].get();
  if (list->kind == ExprKind::kUnary) list = list->args[0].get();  // NOT IN
  if (list->kind == ExprKind::kLet) list = list->args[1].get();
  return list->value_set;
}

TEST(NativeBinder, LongInListsOfConstantsOtherThanIntegersAreValueSets) {
  EXPECT_EQ(ValueSetOfInList("a::text IN ('1', '2', '3', '4', '5', '6', '7', NULL)"), 0);
  EXPECT_EQ(ValueSetOfInList("a / 2.0 NOT IN (1, 1.5, 2, 2.5, 3, 3.5, 4, -4.5::numeric)"), 0);
  // Integers are a switch; short lists and lists of variables stay tests.
  EXPECT_EQ(ValueSetOfInList("a IN (1, 2, 3, 4, 5, 6, 7, 8, 9)"), -1);
  EXPECT_EQ(ValueSetOfInList("a::text IN ('1', '2', '3', '4', '5', '6', '7')"), -1);
  EXPECT_EQ(ValueSetOfInList("a::text IN ('1', '2', '3', '4', '5', '6', '7', b::text)"), -1);
}

TEST(NativeBinder, AmbiguousNamesAreRefused) {
  auto built = Build(Wrap("DECLARE id int;\nDELETE FROM t WHERE id = 1;"), Type::kInt8, false);
  EXPECT_FALSE(built->ok);
  EXPECT_EQ(built->error.sqlstate, "42702");
  auto qualified =
      Build(Wrap("DECLARE id int := 1;\nDELETE FROM t WHERE t.id = id;"), Type::kUnknown, false);
  EXPECT_FALSE(qualified->ok);  // the unqualified "id" is still ambiguous
  auto aliased =
      Build(Wrap("DECLARE k int := 1;\nDELETE FROM t AS r WHERE r.id = k;"), Type::kUnknown, false);
  EXPECT_TRUE(aliased->ok) << aliased->error.message;
}

}  // namespace
}  // namespace native
}  // namespace memopt
