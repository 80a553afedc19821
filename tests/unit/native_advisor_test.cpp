// native_advisor_test.cpp - the PL/pgSQL scan behind memopt.native_advisor.
#include <gtest/gtest.h>

#include "advisor.h"

namespace memopt {
namespace native {
namespace {

TEST(NativeAdvisor, FindsWhatTheLanguageLacksByLine) {
  const char *source =
      "\n"
      "DECLARE\n"                                                      // 2
      "  total money := 0;\n"                                          // 3
      "  n int;\n"                                                     // 4
      "  c CURSOR FOR SELECT 1;\n"                                     // 5
      "  r t%ROWTYPE;\n"                                               // 6
      "BEGIN\n"                                                        // 7
      "  ASSERT n > 0;\n"                                              // 8
      "  SELECT count(*) INTO n FROM t FULL JOIN u ON t.id = u.id;\n"  // 9
      "  FOR r IN SELECT * FROM t ORDER BY id LOOP NULL; END LOOP;\n"  // 10
      "  INSERT INTO s.log VALUES (n);\n"                              // 11
      "  EXECUTE 'select 1';\n"                                        // 12
      "  RETURN QUERY SELECT 1;\n"                                     // 13
      "  RAISE EXCEPTION 'x';\n"                                       // 14
      "EXCEPTION WHEN others THEN\n"                                   // 15
      "  NULL;\n"
      "END\n";
  std::vector<AdvisorFinding> findings;
  std::vector<TableMention> tables;
  AdvisePlpgsql(source, &findings, &tables);
  std::vector<std::pair<int, std::string>> got;
  for (const AdvisorFinding &f : findings) got.emplace_back(f.line, f.construct);
  std::vector<std::pair<int, std::string>> want = {
      {3, "DECLARE total money"}, {5, "CURSOR"},   {6, "%ROWTYPE"},      {8, "ASSERT"},
      {9, "FULL JOIN"},           {12, "EXECUTE"}, {13, "RETURN QUERY"}, {15, "EXCEPTION"},
  };
  EXPECT_EQ(got, want);
  std::vector<std::pair<int, std::vector<std::string>>> named;
  for (const TableMention &m : tables) named.emplace_back(m.line, m.name);
  std::vector<std::pair<int, std::vector<std::string>>> want_tables = {
      {9, {"t"}}, {9, {"u"}}, {10, {"t"}}, {11, {"s", "log"}}};
  EXPECT_EQ(named, want_tables);
}

TEST(NativeAdvisor, OnlyHandlersOfTheOutermostBlockAreFindings) {
  std::vector<AdvisorFinding> findings;
  std::vector<TableMention> tables;
  AdvisePlpgsql(
      "BEGIN\n  x := CASE WHEN a THEN 1 END;\n  CASE a WHEN 1 THEN NULL; END CASE;\n"
      "  BEGIN\n    IF a THEN NULL; END IF;\n    RAISE EXCEPTION 'e';\n"
      "  EXCEPTION WHEN others THEN\n    GET STACKED DIAGNOSTICS m = MESSAGE_TEXT;\n  END;\n"
      "  <<b>> BEGIN EXIT b; END b;\n"
      "EXCEPTION WHEN others THEN\n  GET DIAGNOSTICS c = PG_CONTEXT;\nEND",
      &findings, &tables);
  ASSERT_EQ(findings.size(), 2u);  // GET STACKED DIAGNOSTICS and block labels compile
  EXPECT_EQ(findings[0].line, 11);
  EXPECT_EQ(findings[0].construct, "EXCEPTION");
  EXPECT_EQ(findings[1].line, 12);
  EXPECT_EQ(findings[1].construct, "GET DIAGNOSTICS PG_CONTEXT");
}

TEST(NativeAdvisor, ACompilableBodyHasNoFindings) {
  std::vector<AdvisorFinding> findings;
  std::vector<TableMention> tables;
  AdvisePlpgsql(
      "DECLARE i int := 10; s bigint := 0;\nBEGIN\n  WHILE i > 0 LOOP\n"
      "    INSERT INTO t VALUES (i, i + 1); i := i - 1;\n  END LOOP;\n"
      "  UPDATE t SET v = v + 1 WHERE id = 3;\n  RETURN;\nEND",
      &findings, &tables);
  EXPECT_TRUE(findings.empty()) << findings[0].construct;
  EXPECT_EQ(tables.size(), 2u);
}

TEST(NativeAdvisor, OnlyLateralAndArraysAreFindingsAmongSubqueries) {
  std::vector<AdvisorFinding> findings;
  std::vector<TableMention> tables;
  AdvisePlpgsql(
      "BEGIN\n  IF EXISTS (SELECT 1 FROM t WHERE id = 1) THEN RETURN 1; END IF;\n"
      "  RETURN (SELECT max(id) FROM u) + (SELECT count(*) FROM (SELECT 1 FROM u) s)\n"
      "    + (SELECT 1 FROM t WHERE id IN (SELECT id FROM u) AND id = ANY (SELECT id FROM u)\n"
      "       AND id > ALL (SELECT id FROM u) AND id = ANY (ids))\n"
      "    + (SELECT count(*) FROM t, LATERAL (SELECT 1 FROM u WHERE u.id = t.id) l);\n"
      "END",
      &findings, &tables);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].line, 5);
  EXPECT_EQ(findings[0].construct, "ANY (array)");
  EXPECT_EQ(findings[1].line, 6);
  EXPECT_EQ(findings[1].construct, "LATERAL");
}

TEST(NativeAdvisor, NoFormOfDistinctIsAFinding) {
  std::vector<AdvisorFinding> findings;
  std::vector<TableMention> tables;
  AdvisePlpgsql(
      "BEGIN\n  IF a IS DISTINCT FROM b THEN RETURN 1; END IF;\n"
      "  FOR r IN SELECT DISTINCT id FROM t LOOP NULL; END LOOP;\n"
      "  SELECT DISTINCT ON (id) v INTO x FROM t;\n"
      "  SELECT count(DISTINCT v) INTO x FROM t;\n"
      "  SELECT string_agg(DISTINCT v, ',') INTO y FROM t;\n"
      "END",
      &findings, &tables);
  EXPECT_TRUE(findings.empty()) << findings[0].construct;
}

TEST(NativeAdvisor, UnreadableSourceIsOneFinding) {
  std::vector<AdvisorFinding> findings;
  std::vector<TableMention> tables;
  AdvisePlpgsql("BEGIN\n  x := 'unterminated;\nEND", &findings, &tables);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].line, 2);
}

}  // namespace
}  // namespace native
}  // namespace memopt
