// native_parser_test.cpp - the lexer and parser of LANGUAGE native_compilation
// bodies (src/jit/lexer.cpp, src/jit/parser.cpp): the tree built for every
// statement kind, operator precedence, literals and comments, every error
// message with its line and column, nesting limits, and random input.
#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>
#include <vector>

#include "ast.h"
#include "lexer.h"
#include "parser.h"
#include "runtime_api.h"

namespace memopt {
namespace native {
namespace {

const char kHeader[] = "BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)\n";

// A body whose statements start on line 2.
std::string Wrap(const std::string &statements) { return kHeader + statements + "\nEND"; }

Body MustParse(const std::string &source) {
  Body body;
  SourceError error;
  EXPECT_TRUE(Parse(source, &body, &error))
      << error.message << " at " << error.pos.line << ":" << error.pos.column << "\n"
      << source;
  return body;
}

SourceError MustFail(const std::string &source) {
  Body body;
  SourceError error;
  EXPECT_FALSE(Parse(source, &body, &error)) << source;
  return error;
}

void ExpectError(const std::string &source, int line, int column, const std::string &message) {
  SourceError error = MustFail(source);
  EXPECT_EQ(error.message, message) << source;
  EXPECT_EQ(error.pos.line, line) << source;
  EXPECT_EQ(error.pos.column, column) << source;
}

void ExpectPos(SourcePos pos, int line, int column) {
  EXPECT_EQ(pos.line, line);
  EXPECT_EQ(pos.column, column);
}

// An S-expression of a tree: (op args...), literals as written.
std::string Show(const Expr &e) {
  std::string args;
  for (const ExprPtr &arg : e.args) args += " " + Show(*arg);
  switch (e.kind) {
    case ExprKind::kInt:
    case ExprKind::kFloat:
    case ExprKind::kBool:
      return e.text;
    case ExprKind::kString:
      return "'" + e.text + "'";
    case ExprKind::kNull:
      return "NULL";
    case ExprKind::kDefault:
      return "DEFAULT";
    case ExprKind::kName: {
      std::string name = e.parts[0];
      for (size_t i = 1; i < e.parts.size(); ++i) name += "." + e.parts[i];
      return name;
    }
    case ExprKind::kUnary:
    case ExprKind::kBinary:
      return "(" + e.op + args + ")";
    case ExprKind::kIsNull:
      return std::string(e.negated ? "(isnot" : "(is") + (e.op.empty() ? "null" : e.op) + args +
             ")";
    case ExprKind::kIsDistinct:
      return std::string(e.negated ? "(isnotdistinct" : "(isdistinct") + args + ")";
    case ExprKind::kCall:
      return e.op + "(" + (e.distinct ? "distinct " : "") + (args.empty() ? "" : args.substr(1)) +
             ")";
    case ExprKind::kCast:
      return "(cast" + args + " " + e.cast_type.name + ")";
    case ExprKind::kCase:
      return std::string(e.has_else ? "(case-else" : "(case") + args + ")";
    case ExprKind::kExists:
      return "(exists)";
    case ExprKind::kScalarSubquery:
      return "(subquery)";
    case ExprKind::kInSubquery:
      return "(in" + args + " subquery)";
    case ExprKind::kLet:
      return "(let" + args + ")";
  }
  return "?";
}

// The tree of `text` as the right-hand side of an assignment.
std::string ShowExpr(const std::string &text) {
  Body body = MustParse(Wrap("x := " + text + ";"));
  if (body.statements.size() != 1 || !body.statements[0]->value) return "<no parse>";
  return Show(*body.statements[0]->value);
}

// The one statement of a body.
StmtPtr OneStatement(const std::string &statement) {
  Body body = MustParse(Wrap(statement));
  EXPECT_EQ(body.statements.size(), 1u) << statement;
  if (body.statements.empty()) return std::make_unique<Stmt>();
  return std::move(body.statements[0]);
}

// ---- The Hekaton example ---------------------------------------------------

TEST(NativeParser, HekatonExample) {
  Body body = MustParse(
      "BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT)\n"
      "  DECLARE i int := 1000000;\n"
      "  WHILE i > 0 LOOP\n"
      "    INSERT INTO t1 VALUES (i, i + 1);\n"
      "    i := i - 1;\n"
      "  END LOOP;\n"
      "END");
  EXPECT_EQ(body.options.isolation, "snapshot");
  EXPECT_FALSE(body.options.delayed_durability);
  ExpectPos(body.options.pos, 1, 14);
  ASSERT_EQ(body.statements.size(), 2u);

  const Stmt &declare = *body.statements[0];
  EXPECT_EQ(declare.kind, StmtKind::kDeclare);
  ExpectPos(declare.pos, 2, 3);
  EXPECT_EQ(declare.name, "i");
  EXPECT_EQ(declare.type_name.name, "int");
  ExpectPos(declare.type_name.pos, 2, 13);
  ASSERT_TRUE(declare.value);
  EXPECT_EQ(declare.value->kind, ExprKind::kInt);
  EXPECT_EQ(declare.value->text, "1000000");
  ExpectPos(declare.value->pos, 2, 20);

  const Stmt &loop = *body.statements[1];
  EXPECT_EQ(loop.kind, StmtKind::kWhile);
  ExpectPos(loop.pos, 3, 3);
  ASSERT_EQ(loop.conds.size(), 1u);
  EXPECT_EQ(Show(*loop.conds[0]), "(> i 0)");
  ExpectPos(loop.conds[0]->pos, 3, 11);  // a binary node is at its operator
  ASSERT_EQ(loop.body.size(), 2u);

  const Stmt &insert = *loop.body[0];
  EXPECT_EQ(insert.kind, StmtKind::kInsert);
  ExpectPos(insert.pos, 4, 5);
  EXPECT_EQ(insert.target.name, std::vector<std::string>{"t1"});
  ExpectPos(insert.target.pos, 4, 17);
  EXPECT_TRUE(insert.columns.empty());
  ASSERT_EQ(insert.rows.size(), 1u);
  ASSERT_EQ(insert.rows[0].size(), 2u);
  EXPECT_EQ(Show(*insert.rows[0][0]), "i");
  ExpectPos(insert.rows[0][0]->pos, 4, 28);
  EXPECT_EQ(Show(*insert.rows[0][1]), "(+ i 1)");
  ExpectPos(insert.rows[0][1]->args[1]->pos, 4, 35);

  const Stmt &assign = *loop.body[1];
  EXPECT_EQ(assign.kind, StmtKind::kAssign);
  ExpectPos(assign.pos, 5, 5);
  EXPECT_EQ(assign.name, "i");
  EXPECT_EQ(Show(*assign.value), "(- i 1)");
}

// ---- BEGIN ATOMIC options ----------------------------------------------------

TEST(NativeParser, AtomicOptions) {
  Body body = MustParse(
      "begin atomic with (transaction isolation level = repeatable read,\n"
      "  delayed_durability = on, language = N'us_english')\nend;");
  EXPECT_EQ(body.options.isolation, "repeatable read");
  EXPECT_TRUE(body.options.delayed_durability);
  EXPECT_TRUE(body.statements.empty());

  body = MustParse(
      "BEGIN ATOMIC WITH (DELAYED_DURABILITY = OFF, LANGUAGE = 'english',"
      " TRANSACTION ISOLATION LEVEL = SERIALIZABLE) END");
  EXPECT_EQ(body.options.isolation, "serializable");
  EXPECT_FALSE(body.options.delayed_durability);
}

TEST(NativeParser, AtomicOptionErrors) {
  const std::string kRequires = "BEGIN ATOMIC requires the TRANSACTION ISOLATION LEVEL option";
  ExpectError("BEGIN ATOMIC WITH (DELAYED_DURABILITY = ON)\nEND", 1, 43, kRequires);
  ExpectError("BEGIN ATOMIC WITH ()\nEND", 1, 20, kRequires);
  ExpectError("BEGIN ATOMIC WITH\n  x := 1;\nEND", 1, 14, kRequires);
  ExpectError("BEGIN ATOMIC\n  x := 1;\nEND", 2, 3, kRequires);
  ExpectError("BEGIN ATOMIC", 1, 13, "syntax error at end of input");
  ExpectError(
      "BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT,\n"
      "                   transaction isolation level = serializable) END",
      2, 20, "option \"transaction isolation level\" specified more than once");
  ExpectError(
      "BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT, DELAYED_DURABILITY = ON,"
      " DELAYED_DURABILITY = OFF) END",
      1, 85, "option \"delayed_durability\" specified more than once");
  ExpectError("BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT, Foo = 1) END", 1, 60,
              "unrecognized BEGIN ATOMIC option \"foo\"");
  ExpectError("BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = SNAPSHOT,) END", 1, 59,
              "syntax error at or near \")\"");
  ExpectError("BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = CHAOS) END", 1, 50,
              "syntax error at or near \"CHAOS\"");
  ExpectError("BEGIN ATOMIC WITH (DELAYED_DURABILITY = maybe) END", 1, 41,
              "syntax error at or near \"maybe\"");

  SourceError error = MustFail("BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = READ COMMITTED)");
  EXPECT_EQ(error.message, "isolation level READ COMMITTED is not supported in BEGIN ATOMIC");
  EXPECT_EQ(error.hint, "Use SNAPSHOT, REPEATABLE READ or SERIALIZABLE.");
  ExpectPos(error.pos, 1, 50);
  error = MustFail("BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = read uncommitted)");
  EXPECT_EQ(error.message, "isolation level READ UNCOMMITTED is not supported in BEGIN ATOMIC");
  EXPECT_EQ(error.hint, "Use SNAPSHOT, REPEATABLE READ or SERIALIZABLE.");
}

TEST(NativeParser, BodyShapeErrors) {
  const std::string kNotOne =
      "the body of a natively compiled routine must be one BEGIN ATOMIC WITH (...) block";
  ExpectError("", 1, 1, kNotOne);
  ExpectError("  \n  DECLARE x int;", 2, 3, kNotOne);
  ExpectError("BEGIN\n  x := 1;\nEND;", 1, 1, kNotOne);
  ExpectError("-- comment\nBEGIN TRANSACTION", 2, 1, kNotOne);

  ExpectError(Wrap("") + "; x", 3, 6, "syntax error at or near \"x\"");
  ExpectError(Wrap("") + ";;", 3, 5, "syntax error at or near \";\"");
  ExpectError(Wrap("") + " END", 3, 5, "syntax error at or near \"END\"");
  ExpectError(std::string(kHeader) + "  x := 1;", 2, 10, "syntax error at end of input");
  ExpectError(std::string(kHeader) + "  x := 1;\n", 3, 1, "syntax error at end of input");
  MustParse(Wrap("") + ";  -- done\n/* really */");
}

// ---- Statements --------------------------------------------------------------

TEST(NativeParser, Declare) {
  StmtPtr s = OneStatement("DECLARE total Double Precision NOT NULL DEFAULT 0;");
  EXPECT_EQ(s->kind, StmtKind::kDeclare);
  EXPECT_EQ(s->name, "total");
  EXPECT_EQ(s->type_name.name, "double precision");
  EXPECT_TRUE(s->type_name.modifiers.empty());
  EXPECT_TRUE(s->not_null);
  EXPECT_EQ(Show(*s->value), "0");

  s = OneStatement("DECLARE \"Name\" character varying(20) = 'x';");
  EXPECT_EQ(s->name, "Name");
  EXPECT_EQ(s->type_name.name, "character varying");
  EXPECT_EQ(s->type_name.modifiers, std::vector<int>{20});
  EXPECT_FALSE(s->not_null);
  EXPECT_EQ(Show(*s->value), "'x'");

  s = OneStatement("DECLARE d numeric(10, 2);");
  EXPECT_EQ(s->type_name.name, "numeric");
  EXPECT_EQ(s->type_name.modifiers, (std::vector<int>{10, 2}));
  EXPECT_FALSE(s->value);

  s = OneStatement("DECLARE t timestamp(3) WITH TIME ZONE;");
  EXPECT_EQ(s->type_name.name, "timestamp with time zone");
  EXPECT_EQ(s->type_name.modifiers, std::vector<int>{3});

  s = OneStatement("DECLARE t time without time zone := NULL;");
  EXPECT_EQ(s->type_name.name, "time without time zone");
  EXPECT_EQ(s->value->kind, ExprKind::kNull);

  // Non-reserved statement words such as CLOSE remain usable as names.
  Body body = MustParse(Wrap("DECLARE close int;\nclose := 1;"));
  ASSERT_EQ(body.statements.size(), 2u);
  EXPECT_EQ(body.statements[1]->kind, StmtKind::kAssign);
  EXPECT_EQ(body.statements[1]->name, "close");
}

TEST(NativeParser, DeclareErrors) {
  // One variable per DECLARE: a PL/pgSQL-style section fails at the second name.
  ExpectError(Wrap("DECLARE a int;\n  b int := 2;"), 3, 3, "syntax error at or near \"b\"");
  ExpectError(Wrap("DECLARE x int NOT NULL;"), 2, 9,
              "variable \"x\" must have a default value, since it's declared NOT NULL");
  ExpectError(Wrap("DECLARE x := 1;"), 2, 11, "syntax error at or near \":=\"");
  ExpectError(Wrap("DECLARE end int;"), 2, 9, "syntax error at or near \"end\"");
  ExpectError(Wrap("DECLARE x int NULL;"), 2, 15, "syntax error at or near \"NULL\"");
  ExpectError(Wrap("DECLARE x CONSTANT int := 1;"), 2, 11,
              "\"CONSTANT\" is not supported in natively compiled routines");
  ExpectError(Wrap("DECLARE x varchar(99999999999);"), 2, 19, "type modifier is out of range");
  ExpectError(Wrap("DECLARE x varchar(a);"), 2, 19, "syntax error at or near \"a\"");
}

TEST(NativeParser, Assign) {
  StmtPtr s = OneStatement("\"X\" := 1;");
  EXPECT_EQ(s->kind, StmtKind::kAssign);
  EXPECT_EQ(s->name, "X");
  ExpectError(Wrap("x = 1;"), 2, 3, "syntax error at or near \"=\"");
  ExpectError(Wrap("x 1;"), 2, 1, "syntax error at or near \"x\"");
  ExpectError(Wrap("x := 1"), 3, 1, "syntax error at or near \"END\"");
  ExpectError(Wrap("t.x := 1;"), 2, 1, "syntax error at or near \"t\"");
}

TEST(NativeParser, If) {
  Body body =
      MustParse(Wrap("IF a THEN x := 1;\n"
                     "ELSIF b THEN\n"
                     "ELSEIF c THEN x := 3; x := 4;\n"
                     "ELSE x := 5;\n"
                     "END IF;"));
  ASSERT_EQ(body.statements.size(), 1u);
  const Stmt &s = *body.statements[0];
  EXPECT_EQ(s.kind, StmtKind::kIf);
  ASSERT_EQ(s.conds.size(), 3u);
  ASSERT_EQ(s.branches.size(), 3u);
  EXPECT_EQ(Show(*s.conds[2]), "c");
  ExpectPos(s.conds[2]->pos, 4, 8);
  EXPECT_EQ(s.branches[0].size(), 1u);
  EXPECT_EQ(s.branches[1].size(), 0u);
  EXPECT_EQ(s.branches[2].size(), 2u);
  ASSERT_EQ(s.else_body.size(), 1u);
  ExpectPos(s.else_body[0]->pos, 5, 6);

  StmtPtr plain = OneStatement("IF a THEN NULL; END IF;");
  EXPECT_EQ(plain->conds.size(), 1u);
  EXPECT_TRUE(plain->else_body.empty());

  ExpectError(Wrap("IF a THEN x := 1; END;"), 2, 22, "syntax error at or near \";\"");
  ExpectError(Wrap("IF a THEN ELSE ELSE END IF;"), 2, 16, "syntax error at or near \"ELSE\"");
  ExpectError(Wrap("IF a x := 1; END IF;"), 2, 6, "syntax error at or near \"x\"");
  ExpectError(Wrap("ELSE x := 1;"), 2, 1, "syntax error at or near \"ELSE\"");
}

TEST(NativeParser, Loops) {
  StmtPtr s = OneStatement("LOOP EXIT; CONTINUE WHEN i < 3; EXIT WHEN done; END LOOP;");
  EXPECT_EQ(s->kind, StmtKind::kLoop);
  ASSERT_EQ(s->body.size(), 3u);
  EXPECT_EQ(s->body[0]->kind, StmtKind::kExit);
  EXPECT_FALSE(s->body[0]->value);
  EXPECT_EQ(s->body[1]->kind, StmtKind::kContinue);
  EXPECT_EQ(Show(*s->body[1]->value), "(< i 3)");
  EXPECT_EQ(s->body[2]->kind, StmtKind::kExit);
  EXPECT_EQ(Show(*s->body[2]->value), "done");

  s = OneStatement("FOR i IN 1..n LOOP NULL; END LOOP;");
  EXPECT_EQ(s->kind, StmtKind::kForRange);
  EXPECT_EQ(s->name, "i");
  EXPECT_FALSE(s->reverse);
  EXPECT_EQ(Show(*s->low), "1");
  EXPECT_EQ(Show(*s->high), "n");
  EXPECT_FALSE(s->step);
  ASSERT_EQ(s->body.size(), 1u);
  EXPECT_EQ(s->body[0]->kind, StmtKind::kNullStmt);

  s = OneStatement("for j in reverse n * 2 .. lo + 1 by 2 loop end loop;");
  EXPECT_TRUE(s->reverse);
  EXPECT_EQ(Show(*s->low), "(* n 2)");
  EXPECT_EQ(Show(*s->high), "(+ lo 1)");
  EXPECT_EQ(Show(*s->step), "2");
  EXPECT_TRUE(s->body.empty());

  s = OneStatement("FOR k IN -1.5..2.5 LOOP END LOOP;");
  EXPECT_EQ(Show(*s->low), "(- 1.5)");
  EXPECT_EQ(Show(*s->high), "2.5");

  s = OneStatement("WHILE true LOOP EXIT; END LOOP;");
  EXPECT_EQ(s->kind, StmtKind::kWhile);
  EXPECT_EQ(Show(*s->conds[0]), "true");

  ExpectError(Wrap("FOR i IN 1 TO 10 LOOP END LOOP;"), 2, 12, "syntax error at or near \"TO\"");
  ExpectError(Wrap("LOOP NULL; END;"), 2, 15, "syntax error at or near \";\"");
  ExpectError(Wrap("WHILE x LOOP NULL; END WHILE;"), 2, 24, "syntax error at or near \"WHILE\"");
  ExpectError(Wrap("EXIT outer 1;"), 2, 12, "syntax error at or near \"1\"");
  // Labels: <<name>> before a loop, EXIT / CONTINUE name, END LOOP name.
  Body labeled = MustParse(
      Wrap("<<outer>> FOR i IN 1..3 LOOP\n  LOOP EXIT outer WHEN i = 2; CONTINUE outer; END LOOP;\n"
           "END LOOP outer;"));
  ASSERT_EQ(labeled.statements.size(), 1u);
  EXPECT_EQ(labeled.statements[0]->label, "outer");
  const Stmt &inner = *labeled.statements[0]->body[0];
  EXPECT_EQ(inner.label, "");
  EXPECT_EQ(inner.body[0]->name, "outer");
  EXPECT_EQ(inner.body[1]->kind, StmtKind::kContinue);
  EXPECT_EQ(inner.body[1]->name, "outer");
  ExpectError(Wrap("<<a>> LOOP EXIT; END LOOP b;"), 2, 27,
              "end label \"b\" differs from block's label \"a\"");
  ExpectError(Wrap("LOOP EXIT; END LOOP b;"), 2, 21,
              "end label \"b\" specified for unlabeled block");
  ExpectError(
      Wrap("<<a>> x := 1;"), 2, 7,
      "a label must be followed by WHILE, LOOP, FOR or BEGIN in natively compiled routines");
  // ... and before a nested block, whose END may repeat it.
  Body block = MustParse(Wrap("<<b>> BEGIN EXIT b; END b;"));
  ASSERT_EQ(block.statements.size(), 1u);
  EXPECT_EQ(block.statements[0]->kind, StmtKind::kBlock);
  EXPECT_EQ(block.statements[0]->label, "b");
  EXPECT_EQ(block.statements[0]->body[0]->name, "b");
  ExpectError(Wrap("<<b>> BEGIN NULL; END c;"), 2, 23,
              "end label \"c\" differs from block's label \"b\"");
  ExpectError(Wrap("BEGIN NULL; END c;"), 2, 17, "end label \"c\" specified for unlabeled block");
  // FOR over a query needs FROM; a target list needs a query.
  ExpectError(Wrap("FOR r IN SELECT 1 LOOP END LOOP;"), 2, 19, "syntax error at or near \"LOOP\"");
  ExpectError(Wrap("FOR a, b IN 1..2 LOOP END LOOP;"), 2, 13, "syntax error at or near \"1\"");
  Body body =
      MustParse(Wrap("FOR a, b IN SELECT x, y + 1 FROM t AS r WHERE r.x > 0 LOOP\n"
                     "  EXIT;\nEND LOOP;"));
  const Stmt *q = body.statements[0].get();
  EXPECT_EQ(q->kind, StmtKind::kForQuery);
  EXPECT_EQ(q->into, (std::vector<std::string>{"a", "b"}));
  ExpectPos(q->into_pos[1], 2, 8);
  EXPECT_EQ(q->select_list.size(), 2u);
  EXPECT_EQ(q->from[0].alias, "r");
  ASSERT_NE(q->where, nullptr);
  ASSERT_EQ(q->body.size(), 1u);
  EXPECT_EQ(q->body[0]->kind, StmtKind::kExit);
}

TEST(NativeParser, Return) {
  Body body = MustParse(Wrap("RETURN;\nRETURN a + 1;"));
  ASSERT_EQ(body.statements.size(), 2u);
  EXPECT_EQ(body.statements[0]->kind, StmtKind::kReturn);
  EXPECT_FALSE(body.statements[0]->value);
  EXPECT_EQ(Show(*body.statements[1]->value), "(+ a 1)");
}

TEST(NativeParser, Raise) {
  StmtPtr s = OneStatement("RAISE 'boom';");
  EXPECT_EQ(s->kind, StmtKind::kRaise);
  EXPECT_EQ(s->level, "exception");
  EXPECT_EQ(s->format, "boom");
  EXPECT_TRUE(s->args.empty());
  EXPECT_TRUE(s->errcode.empty());

  s = OneStatement("RAISE NOTICE 'x = %, y = % (100%%)', x, y + 1;");
  EXPECT_EQ(s->level, "notice");
  EXPECT_EQ(s->format, "x = %, y = % (100%%)");
  ASSERT_EQ(s->args.size(), 2u);
  EXPECT_EQ(Show(*s->args[1]), "(+ y 1)");

  s = OneStatement("raise Exception 'no row %', id::text USING ERRCODE = 'P0002';");
  EXPECT_EQ(s->level, "exception");
  EXPECT_EQ(Show(*s->args[0]), "(cast id text)");
  EXPECT_EQ(s->errcode, "P0002");

  for (const char *level : {"warning", "info", "log", "debug"}) {
    s = OneStatement(std::string("RAISE ") + level + " 'm';");
    EXPECT_EQ(s->level, level);
  }

  ExpectError(Wrap("RAISE 'x' USING ERRCODE = 'p0002';"), 2, 27, "invalid SQLSTATE code");
  ExpectError(Wrap("RAISE 'x' USING ERRCODE = '2201';"), 2, 27, "invalid SQLSTATE code");
  ExpectError(Wrap("RAISE 'x' USING HINT = 'h';"), 2, 17, "syntax error at or near \"HINT\"");
  EXPECT_TRUE(OneStatement("RAISE;")->reraise);  // the binder checks it is in a handler
  ExpectError(Wrap("RAISE NOTICE;"), 2, 13, "syntax error at or near \";\"");
  ExpectError(Wrap("RAISE NOTICE '% and %', a;"), 2, 14, "too few parameters specified for RAISE");
  ExpectError(Wrap("RAISE NOTICE '%%', a;"), 2, 14, "too many parameters specified for RAISE");
}

TEST(NativeParser, Insert) {
  StmtPtr s =
      OneStatement("INSERT INTO app.\"Orders\" (id, \"Note\")\n  VALUES (1, 'a'), (2, NULL);");
  EXPECT_EQ(s->kind, StmtKind::kInsert);
  EXPECT_EQ(s->target.name, (std::vector<std::string>{"app", "Orders"}));
  ExpectPos(s->target.pos, 2, 13);
  EXPECT_EQ(s->columns, (std::vector<std::string>{"id", "Note"}));
  ASSERT_EQ(s->column_pos.size(), 2u);
  ExpectPos(s->column_pos[0], 2, 27);
  ExpectPos(s->column_pos[1], 2, 31);
  ASSERT_EQ(s->rows.size(), 2u);
  EXPECT_EQ(Show(*s->rows[1][0]), "2");
  EXPECT_EQ(s->rows[1][1]->kind, ExprKind::kNull);

  ExpectError(Wrap("INSERT INTO t VALUES (1, 2), (3);"), 2, 30,
              "VALUES lists must all be the same length");
  ExpectError(Wrap("INSERT INTO t AS x VALUES (1);"), 2, 15, "syntax error at or near \"AS\"");
  ExpectError(Wrap("INSERT INTO t SELECT 1;"), 2, 23,
              "syntax error at or near \";\"");  // FROM is required
  ExpectError(Wrap("INSERT INTO t () VALUES (1);"), 2, 16, "syntax error at or near \")\"");
}

// DEFAULT parses as an expression of its own (the binder takes it only as
// a whole VALUES item or SET value); DEFAULT VALUES is one row of none.
TEST(NativeParser, InsertAndUpdateDefaults) {
  StmtPtr s = OneStatement("INSERT INTO t VALUES (DEFAULT, 1);");
  ASSERT_EQ(s->rows.size(), 1u);
  EXPECT_EQ(s->rows[0][0]->kind, ExprKind::kDefault);
  s = OneStatement("INSERT INTO t DEFAULT VALUES;");
  ASSERT_EQ(s->rows.size(), 1u);
  EXPECT_TRUE(s->rows[0].empty());
  s = OneStatement("UPDATE t SET a = DEFAULT, b = 2;");
  EXPECT_EQ(s->set_values[0]->kind, ExprKind::kDefault);
  ExpectError(Wrap("INSERT INTO t (a) DEFAULT VALUES;"), 2, 19,
              "syntax error at or near \"DEFAULT\"");
}

TEST(NativeParser, Update) {
  StmtPtr s = OneStatement("UPDATE accounts AS a SET balance = balance - 10, n = 0 WHERE id = k;");
  EXPECT_EQ(s->kind, StmtKind::kUpdate);
  EXPECT_EQ(s->target.name, std::vector<std::string>{"accounts"});
  EXPECT_EQ(s->target.alias, "a");
  EXPECT_EQ(s->columns, (std::vector<std::string>{"balance", "n"}));
  ExpectPos(s->column_pos[1], 2, 50);
  ASSERT_EQ(s->set_values.size(), 2u);
  EXPECT_EQ(Show(*s->set_values[0]), "(- balance 10)");
  EXPECT_EQ(Show(*s->where), "(= id k)");

  s = OneStatement("UPDATE s.t x SET c = 1;");
  EXPECT_EQ(s->target.name, (std::vector<std::string>{"s", "t"}));
  EXPECT_EQ(s->target.alias, "x");
  EXPECT_FALSE(s->where);

  ExpectError(Wrap("UPDATE t SET c := 1;"), 2, 16, "syntax error at or near \":=\"");
  ExpectError(Wrap("UPDATE t SET t.c = 1;"), 2, 15, "syntax error at or near \".\"");
}

TEST(NativeParser, DeleteAndSelectInto) {
  StmtPtr s = OneStatement("DELETE FROM t WHERE id = 1 AND x IS NOT NULL;");
  EXPECT_EQ(s->kind, StmtKind::kDelete);
  EXPECT_EQ(s->target.name, std::vector<std::string>{"t"});
  EXPECT_TRUE(s->target.alias.empty());
  EXPECT_EQ(Show(*s->where), "(and (= id 1) (isnotnull x))");

  s = OneStatement("DELETE FROM t old;");
  EXPECT_EQ(s->target.alias, "old");
  EXPECT_FALSE(s->where);

  s = OneStatement("SELECT a.balance, count + 1 INTO b, \"C\"\n  FROM accounts a WHERE a.id = 7;");
  EXPECT_EQ(s->kind, StmtKind::kSelectInto);
  ASSERT_EQ(s->select_list.size(), 2u);
  EXPECT_EQ(Show(*s->select_list[0]), "a.balance");
  EXPECT_EQ(s->into, (std::vector<std::string>{"b", "C"}));
  ASSERT_EQ(s->into_pos.size(), 2u);
  ExpectPos(s->into_pos[1], 2, 37);
  ASSERT_EQ(s->from.size(), 1u);
  EXPECT_EQ(s->from[0].name, std::vector<std::string>{"accounts"});
  EXPECT_EQ(s->from[0].alias, "a");
  ExpectPos(s->from[0].pos, 3, 8);
  EXPECT_EQ(Show(*s->where), "(= a.id 7)");

  ExpectError(Wrap("SELECT * INTO x FROM t;"), 2, 8, "syntax error at or near \"*\"");
  Body values = MustParse(Wrap("SELECT 1, a INTO x, y;"));  // no FROM: one row
  EXPECT_EQ(values.statements[0]->kind, StmtKind::kSelectValues);
  EXPECT_EQ(values.statements[0]->into.size(), 2u);
  ExpectError(Wrap("SELECT 1 INTO x WHERE a;"), 2, 17, "syntax error at or near \"WHERE\"");
  Body aliased = MustParse(Wrap("SELECT a AS b, c INTO x, y FROM t;"));
  EXPECT_EQ(aliased.statements[0]->select_aliases, (std::vector<std::string>{"b", ""}));
  Body bare = MustParse(Wrap("SELECT a b, c + 1 total INTO x, y FROM t;"));  // bare labels
  EXPECT_EQ(bare.statements[0]->select_aliases, (std::vector<std::string>{"b", "total"}));
  ExpectError(Wrap("SELECT a union INTO x FROM t;"), 2, 10, "syntax error at or near \"union\"");
  Body typed = MustParse(Wrap("x := double precision '1.5' + timestamp with time zone 'now';"));
  EXPECT_EQ(Show(*typed.statements[0]->value),
            "(+ (cast '1.5' double precision) (cast 'now' timestamp with time zone))");
  ExpectError(Wrap("DELETE t;"), 2, 8, "syntax error at or near \"t\"");
}

TEST(NativeParser, QuantifiedSubqueries) {
  Body body =
      MustParse(Wrap("IF a > ALL (SELECT id FROM t) AND a = SOME (SELECT id FROM t) "
                     "THEN NULL; END IF;"));
  const Expr &both = *body.statements[0]->conds[0];
  ASSERT_EQ(both.args.size(), 2u);
  EXPECT_EQ(both.args[0]->kind, ExprKind::kInSubquery);
  EXPECT_EQ(both.args[0]->op, "<=");  // NOT (a <= ANY ...)
  EXPECT_TRUE(both.args[0]->negated);
  EXPECT_EQ(both.args[1]->op, "=");
  EXPECT_FALSE(both.args[1]->negated);
  ExpectError(Wrap("IF a = ANY (ARRAY[1]) THEN NULL; END IF;"), 2, 8,
              "ANY, SOME and ALL of an array are not supported in natively compiled routines");
}

TEST(NativeParser, ExtractAndPositionAreCalls) {
  EXPECT_EQ(ShowExpr("extract(year FROM t + 1)"), "extract('year' (+ t 1))");
  EXPECT_EQ(ShowExpr("position('b' IN x || 'c')"), "strpos((|| x 'c') 'b')");
  ExpectError(Wrap("x := extract(year t);"), 2, 19, "syntax error at or near \"t\"");
}

// ^ binds tighter than * and looser than unary minus, left to right, as
// in PostgreSQL's grammar.
TEST(NativeParser, PowerOperatorPrecedence) {
  EXPECT_EQ(ShowExpr("2 ^ 3 ^ 2"), "(^ (^ 2 3) 2)");
  EXPECT_EQ(ShowExpr("-2 ^ 2"), "(^ (- 2) 2)");
  EXPECT_EQ(ShowExpr("a * b ^ c"), "(* a (^ b c))");
}

TEST(NativeParser, NullStatementAndNesting) {
  Body body =
      MustParse(Wrap("NULL;\n"
                     "WHILE a LOOP\n"
                     "  IF b THEN\n"
                     "    FOR i IN 1..2 LOOP\n"
                     "      LOOP EXIT; END LOOP;\n"
                     "    END LOOP;\n"
                     "  END IF;\n"
                     "END LOOP;"));
  ASSERT_EQ(body.statements.size(), 2u);
  EXPECT_EQ(body.statements[0]->kind, StmtKind::kNullStmt);
  const Stmt &inner = *body.statements[1]->body[0]->branches[0][0]->body[0];
  EXPECT_EQ(inner.kind, StmtKind::kLoop);
  ExpectPos(inner.pos, 6, 7);
  ExpectPos(inner.body[0]->pos, 6, 12);
}

TEST(NativeParser, PerformAndGetDiagnostics) {
  StmtPtr perform = OneStatement("PERFORM f(a), 2 FROM t WHERE x = 1 ORDER BY x LIMIT 3;");
  EXPECT_EQ(perform->kind, StmtKind::kPerform);
  EXPECT_EQ(perform->select_list.size(), 2u);
  EXPECT_EQ(perform->from.size(), 1u);
  EXPECT_TRUE(perform->where && perform->limit);
  StmtPtr bare = OneStatement("PERFORM f(a);");
  EXPECT_TRUE(bare->from.empty());
  StmtPtr get = OneStatement("GET CURRENT DIAGNOSTICS n = ROW_COUNT, m := row_count;");
  EXPECT_EQ(get->kind, StmtKind::kGetDiagnostics);
  EXPECT_EQ(get->into, (std::vector<std::string>{"n", "m"}));
  ExpectPos(get->into_pos[1], 2, 40);
  EXPECT_EQ(get->error_fields, (std::vector<int32_t>{-1, -1}));
  EXPECT_FALSE(get->stacked);
  StmtPtr stacked = OneStatement(
      "GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = message_text, c := CONSTRAINT_NAME;");
  EXPECT_TRUE(stacked->stacked);
  EXPECT_EQ(
      stacked->error_fields,
      (std::vector<int32_t>{MEMOPT_ERROR_SQLSTATE, MEMOPT_ERROR_MESSAGE, MEMOPT_ERROR_CONSTRAINT}));
  ExpectError(Wrap("GET STACKED DIAGNOSTICS n = ROW_COUNT;"), 2, 29,
              "diagnostics item ROW_COUNT is not allowed in GET STACKED DIAGNOSTICS");
  ExpectError(Wrap("GET DIAGNOSTICS n = TABLE_NAME;"), 2, 21,
              "diagnostics item TABLE_NAME is not allowed in GET CURRENT DIAGNOSTICS");
  ExpectError(Wrap("GET DIAGNOSTICS n = PG_CONTEXT;"), 2, 21,
              "GET DIAGNOSTICS PG_CONTEXT is not supported in natively compiled routines");
  ExpectError(Wrap("GET DIAGNOSTICS n = rows;"), 2, 21,
              "unrecognized GET DIAGNOSTICS item at or near \"rows\"");
  ExpectError(Wrap("GET DIAGNOSTICS n ROW_COUNT;"), 2, 19, "syntax error at or near \"ROW_COUNT\"");
  ExpectError(Wrap("PERFORM;"), 2, 8, "syntax error at or near \";\"");
  StmtPtr distinct_on = OneStatement("SELECT DISTINCT ON (a, b + 1) c INTO x FROM t ORDER BY a;");
  EXPECT_FALSE(distinct_on->distinct);
  ASSERT_EQ(distinct_on->distinct_on.size(), 2u);
  ExpectPos(distinct_on->distinct_on[1].pos, 2, 24);
  ExpectError(Wrap("SELECT DISTINCT ON a INTO x FROM t;"), 2, 20, "syntax error at or near \"a\"");
  StmtPtr ordered = OneStatement("SELECT string_agg(a, ',' ORDER BY b DESC, a) INTO x FROM t;");
  const Expr &aggregate = *ordered->select_list[0];
  EXPECT_EQ(aggregate.args.size(), 2u);
  ASSERT_EQ(aggregate.order_by.size(), 2u);
  EXPECT_TRUE(aggregate.order_by[0].descending);
  EXPECT_FALSE(aggregate.order_by[1].descending);
  ExpectPos(aggregate.order_by[1].pos, 2, 43);
  ExpectError(Wrap("SELECT string_agg(a, ',' ORDER a) INTO x FROM t;"), 2, 32,
              "syntax error at or near \"a\"");
}

TEST(NativeParser, ExceptionBlocks) {
  StmtPtr s = OneStatement(
      "BEGIN\n  x := 1;\n  y := 2;\nEXCEPTION\n  WHEN unique_violation OR SQLSTATE '22012' THEN\n"
      "    RAISE;\n  WHEN others THEN NULL; x := 3;\nEND;");
  EXPECT_EQ(s->kind, StmtKind::kBlock);
  EXPECT_EQ(s->body.size(), 2u);
  ASSERT_EQ(s->handlers.size(), 2u);
  ASSERT_EQ(s->branches.size(), 2u);
  ASSERT_EQ(s->handlers[0].size(), 2u);
  EXPECT_EQ(s->handlers[0][0].name, "unique_violation");
  EXPECT_TRUE(s->handlers[0][0].sqlstates.empty());  // the glue resolves names
  ExpectPos(s->handlers[0][0].pos, 6, 8);
  EXPECT_TRUE(s->handlers[0][1].name.empty());
  EXPECT_EQ(s->handlers[0][1].sqlstates, std::vector<std::string>{"22012"});
  EXPECT_TRUE(s->branches[0][0]->reraise);
  EXPECT_EQ(s->handlers[1][0].name, "others");
  EXPECT_EQ(s->branches[1].size(), 2u);

  s = OneStatement("BEGIN NULL; END;");  // a block without handlers
  EXPECT_EQ(s->body.size(), 1u);
  EXPECT_TRUE(s->handlers.empty());

  ExpectError(Wrap("BEGIN NULL; EXCEPTION END;"), 2, 23, "syntax error at or near \"END\"");
  ExpectError(Wrap("BEGIN NULL; EXCEPTION WHEN SQLSTATE '2201' THEN NULL; END;"), 2, 37,
              "invalid SQLSTATE code");
  ExpectError(Wrap("BEGIN NULL; EXCEPTION WHEN 42 THEN NULL; END;"), 2, 28,
              "syntax error at or near \"42\"");
  ExpectError(Wrap("BEGIN NULL; END"), 3, 1, "syntax error at or near \"END\"");
  ExpectError(Wrap("BEGIN ATOMIC NULL; END;"), 2, 7,
              "BEGIN ATOMIC can only be the outermost block of a natively compiled routine");
  ExpectError(Wrap("NULL;\nEXCEPTION WHEN others THEN NULL;"), 3, 1,
              "the BEGIN ATOMIC block cannot have EXCEPTION handlers");
}

TEST(NativeParser, UnsupportedStatements) {
  for (const char *word : {"EXECUTE", "COMMIT", "ROLLBACK", "OPEN", "FETCH", "CLOSE", "FOREACH"}) {
    std::string lower = word;
    for (char &c : lower) c = static_cast<char>(std::tolower(c));
    ExpectError(Wrap("NULL;\n   " + lower + " something;"), 3, 4,
                std::string("\"") + word + "\" is not supported in natively compiled routines");
  }
  ExpectError(Wrap("BEGIN := 1;"), 2, 7, "syntax error at or near \":=\"");
  ExpectError(Wrap("FROB x;"), 2, 1, "syntax error at or near \"FROB\"");
  // CALL of another routine is a statement; it needs parentheses.
  ExpectError(Wrap("CALL other;"), 2, 11, "syntax error at or near \";\"");
  Body call = MustParse(Wrap("CALL other(1, x + 2);"));
  EXPECT_EQ(call.statements[0]->kind, StmtKind::kCallRoutine);
  EXPECT_EQ(call.statements[0]->name, "other");
  EXPECT_EQ(call.statements[0]->args.size(), 2u);
  ExpectError(Wrap("42;"), 2, 1, "syntax error at or near \"42\"");
}

// ---- Expressions -------------------------------------------------------------

TEST(NativeParser, Precedence) {
  EXPECT_EQ(ShowExpr("a + b * c = d or not e"), "(or (= (+ a (* b c)) d) (not e))");
  EXPECT_EQ(ShowExpr("-x::int"), "(- (cast x int))");
  EXPECT_EQ(ShowExpr("a or b and c"), "(or a (and b c))");
  EXPECT_EQ(ShowExpr("a and b or c and d"), "(or (and a b) (and c d))");
  EXPECT_EQ(ShowExpr("not a = b"), "(not (= a b))");
  EXPECT_EQ(ShowExpr("not not a"), "(not (not a))");
  EXPECT_EQ(ShowExpr("not a is null"), "(not (isnull a))");
  EXPECT_EQ(ShowExpr("a = b is not null"), "(isnotnull (= a b))");
  EXPECT_EQ(ShowExpr("a is distinct from b + 1"), "(isdistinct (= a (+ b 1)))");
  EXPECT_EQ(ShowExpr("date '2024-01-01' + interval '1 day'"),
            "(+ (cast '2024-01-01' date) (cast '1 day' interval))");
  EXPECT_EQ(ShowExpr("nullif(a, b + 1)"), "(let a (case-else (= $let (+ b 1)) NULL $let))");
  EXPECT_EQ(ShowExpr("not a is not distinct from b = c"), "(not (isnotdistinct (= a (= b c))))");
  EXPECT_EQ(ShowExpr("a < b is not true and c is false or d is unknown"),
            "(or (and (isnottrue (< a b)) (isfalse c)) (isunknown d))");
  EXPECT_EQ(ShowExpr("a || b = c || d"), "(= (|| a b) (|| c d))");
  EXPECT_EQ(ShowExpr("a || b + c"), "(|| a (+ b c))");
  EXPECT_EQ(ShowExpr("a - b - c"), "(- (- a b) c)");
  EXPECT_EQ(ShowExpr("a / b * c % d"), "(% (* (/ a b) c) d)");
  EXPECT_EQ(ShowExpr("(a + b) * c"), "(* (+ a b) c)");
  EXPECT_EQ(ShowExpr("- - a * b"), "(* (- (- a)) b)");
  EXPECT_EQ(ShowExpr("+a - -b"), "(- (+ a) (- b))");
  EXPECT_EQ(ShowExpr("a != b"), "(<> a b)");
  EXPECT_EQ(ShowExpr("a <> b"), "(<> a b)");
  EXPECT_EQ(ShowExpr("a<=b AND a>=c AND a<b AND a>c"),
            "(and (and (and (<= a b) (>= a c)) (< a b)) (> a c))");
  EXPECT_EQ(ShowExpr("x::bigint::text"), "(cast (cast x bigint) text)");
  EXPECT_EQ(ShowExpr("a * b::float8"), "(* a (cast b float8))");
  EXPECT_EQ(ShowExpr("A OR B"), "(or a b)");
}

// IN, BETWEEN and LIKE sit between || and the comparisons, as in
// PostgreSQL; lists and BETWEEN read their operand as $let (ast.h kLet).
TEST(NativeParser, Predicates) {
  EXPECT_EQ(ShowExpr("a IN (1, b, 3)"), "(let a (or (= $let 1) (or (= $let b) (= $let 3))))");
  EXPECT_EQ(ShowExpr("a NOT IN (1)"), "(not (let a (= $let 1)))");
  EXPECT_EQ(ShowExpr("a BETWEEN b AND c + 1"), "(let a (and (>= $let b) (<= $let (+ c 1))))");
  EXPECT_EQ(ShowExpr("a NOT BETWEEN ASYMMETRIC 1 AND 2 AND b"),
            "(and (not (let a (and (>= $let 1) (<= $let 2)))) b)");
  EXPECT_EQ(ShowExpr("a = b IN (1)"), "(= a (let b (= $let 1)))");
  EXPECT_EQ(ShowExpr("not a in (1) is null"), "(not (isnull (let a (= $let 1))))");
  EXPECT_EQ(ShowExpr("a || b LIKE c || 'x'"), "(~~ (|| a b) (|| c 'x'))");
  EXPECT_EQ(ShowExpr("a NOT ILIKE b"), "(not (~~* a b))");
  // As PostgreSQL's grammar: ESCAPE rewrites the pattern, SYMMETRIC tries
  // the bounds both ways round.
  EXPECT_EQ(ShowExpr("a LIKE b ESCAPE c"), "(~~ a like_escape(b c))");
  EXPECT_EQ(ShowExpr("a BETWEEN SYMMETRIC 1 AND b"),
            "(let a (or (and (>= $let 1) (<= $let b)) (and (>= $let b) (<= $let 1))))");
  EXPECT_EQ(ShowExpr("(SELECT max(x) FROM t WHERE y = a) + 1"), "(+ (subquery) 1)");
  EXPECT_EQ(ShowExpr("a + 1 NOT IN (SELECT x FROM t ORDER BY x LIMIT 3)"),
            "(not (in (+ a 1) subquery))");
  Body body = MustParse(Wrap("x := (SELECT x FROM t GROUP BY x HAVING count(*) > 1 OFFSET 2);"));
  const Expr &scalar = *body.statements[0]->value;
  ASSERT_EQ(scalar.kind, ExprKind::kScalarSubquery);
  ExpectPos(scalar.pos, 2, 6);
  EXPECT_EQ(scalar.query->kind, StmtKind::kSubquery);
  EXPECT_EQ(scalar.query->group_by.size(), 1u);
  EXPECT_TRUE(scalar.query->having && scalar.query->offset);
  // A list as long as one likes stays a shallow tree.
  std::string items = "0";
  for (int i = 1; i < 5000; ++i) items += ", " + std::to_string(i);
  MustParse(Wrap("x := a IN (" + items + ");"));

  ExpectError(Wrap("x := a BETWEEN SYMMETRIC 1 AND (SELECT max(x) FROM t);"), 2, 32,
              "subqueries are not supported in the bounds of BETWEEN SYMMETRIC");
  ExpectError(Wrap("x := (SELECT * FROM t);"), 2, 14,
              "SELECT * is not supported in scalar subqueries of natively compiled routines");
  ExpectError(Wrap("x := a IN (SELECT * FROM t);"), 2, 19,
              "SELECT * is not supported in IN subqueries of natively compiled routines");
  ExpectError(Wrap("x := a IN ();"), 2, 12, "syntax error at or near \")\"");
  ExpectError(Wrap("x := (SELECT 1);"), 2, 15, "syntax error at or near \")\"");
}

TEST(NativeParser, SubqueriesInFrom) {
  Body body =
      MustParse(Wrap("SELECT s.n, u.x INTO a, b FROM (SELECT count(*) AS n FROM t) s\n"
                     "  JOIN (SELECT x, y FROM t GROUP BY x, y) AS u (x, y2) ON u.x = s.n\n"
                     "  LEFT JOIN (SELECT 1 FROM t) w ON true;"));
  const Stmt &select = *body.statements[0];
  ASSERT_EQ(select.from.size(), 3u);
  const TableRef &s = select.from[0];
  ASSERT_TRUE(s.query);
  EXPECT_TRUE(s.name.empty());
  EXPECT_EQ(s.alias, "s");
  ExpectPos(s.pos, 2, 32);  // its '('
  EXPECT_EQ(s.query->kind, StmtKind::kSubquery);
  EXPECT_EQ(s.query->select_aliases, (std::vector<std::string>{"n"}));
  const TableRef &u = select.from[1];
  EXPECT_EQ(u.alias, "u");
  EXPECT_EQ(u.column_aliases, (std::vector<std::string>{"x", "y2"}));
  EXPECT_EQ(u.query->group_by.size(), 2u);
  EXPECT_TRUE(select.from[2].left_join);
  // A FOR loop, EXISTS and a subquery in FROM inside one in FROM.
  MustParse(Wrap("FOR r IN SELECT d.x FROM (SELECT x FROM (SELECT x FROM t) e) d LOOP END LOOP;"));
  MustParse(Wrap("x := EXISTS (SELECT 1 FROM (SELECT x FROM t LIMIT 1) d);"));

  struct Refused {
    const char *statement;
    int column;
    const char *message;
  };
  for (const Refused &refused : {
           Refused{"SELECT 1 INTO x FROM (SELECT 1 FROM t);", 22,
                   "subquery in FROM must have an alias"},
           Refused{"SELECT 1 INTO x FROM (VALUES (1)) v;", 23,
                   "VALUES lists in FROM are not supported in natively compiled routines"},
           Refused{"SELECT 1 INTO x FROM (t) d;", 23, "syntax error at or near \"t\""},
           Refused{"SELECT 1 INTO x FROM (SELECT 1 FROM t) d ();", 43,
                   "syntax error at or near \")\""},
           Refused{"UPDATE (SELECT 1 FROM t) d SET x = 1;", 8, "syntax error at or near \"(\""},
       })
    ExpectError(Wrap(refused.statement), 2, refused.column, refused.message);
}

TEST(NativeParser, Primaries) {
  EXPECT_EQ(ShowExpr("f(a, b + 1)"), "f(a (+ b 1))");
  EXPECT_EQ(ShowExpr("Now()"), "now()");
  EXPECT_EQ(ShowExpr("\"MyFunc\"(1)"), "MyFunc(1)");
  EXPECT_EQ(ShowExpr("coalesce(a, lower(b))"), "coalesce(a lower(b))");
  EXPECT_EQ(ShowExpr("count(DISTINCT a + 1)"), "count(distinct (+ a 1))");
  EXPECT_EQ(ShowExpr("sum(ALL a)"), "sum(a)");
  EXPECT_EQ(ShowExpr("t.col + T.\"Col\""), "(+ t.col t.Col)");
  EXPECT_EQ(ShowExpr("t.end"), "t.end");
  EXPECT_EQ(ShowExpr("CAST(a + 1 AS double precision)"), "(cast (+ a 1) double precision)");
  EXPECT_EQ(ShowExpr("x::character varying(10)"), "(cast x character varying)");
  EXPECT_EQ(ShowExpr("x::timestamp with time zone"), "(cast x timestamp with time zone)");
  EXPECT_EQ(ShowExpr("true AND False OR NULL"), "(or (and true false) NULL)");
  EXPECT_EQ(ShowExpr("12 + 1.5 + .5 + 2e3 + 1.5E-3 + 7."),
            "(+ (+ (+ (+ (+ 12 1.5) .5) 2e3) 1.5E-3) 7.)");

  Body body = MustParse(Wrap("x := CAST(a AS numeric(10, 2)) + y::varchar(5) - f(z);"));
  const Expr &value = *body.statements[0]->value;
  ExpectPos(value.pos, 2, 48);           // the '-'
  ExpectPos(value.args[1]->pos, 2, 50);  // f
  const Expr &cast = *value.args[0]->args[0];
  EXPECT_EQ(cast.kind, ExprKind::kCast);
  ExpectPos(cast.pos, 2, 6);  // CAST
  EXPECT_EQ(cast.cast_type.modifiers, (std::vector<int>{10, 2}));
  ExpectPos(cast.cast_type.pos, 2, 16);
  const Expr &colon_cast = *value.args[0]->args[1];
  ExpectPos(colon_cast.pos, 2, 35);  // the '::'
  EXPECT_EQ(colon_cast.cast_type.modifiers, std::vector<int>{5});

  Body literals = MustParse(Wrap("x := 'it''s';\ny := '';\nz := N'us';"));
  EXPECT_EQ(literals.statements[0]->value->kind, ExprKind::kString);
  EXPECT_EQ(literals.statements[0]->value->text, "it's");
  EXPECT_EQ(literals.statements[1]->value->text, "");
  EXPECT_EQ(literals.statements[2]->value->text, "us");
  EXPECT_EQ(ShowExpr("1.5")[0], '1');
  Body kinds = MustParse(Wrap("x := 1;\nx := 1.0;\nx := true;"));
  EXPECT_EQ(kinds.statements[0]->value->kind, ExprKind::kInt);
  EXPECT_EQ(kinds.statements[1]->value->kind, ExprKind::kFloat);
  EXPECT_EQ(kinds.statements[2]->value->kind, ExprKind::kBool);
}

TEST(NativeParser, ExpressionErrors) {
  ExpectError(Wrap("x := a < b < c;"), 2, 12, "syntax error at or near \"<\"");
  ExpectError(Wrap("x := a IS NULL IS NULL;"), 2, 16, "syntax error at or near \"IS\"");
  ExpectError(Wrap("x := a IS DISTINCT b;"), 2, 20, "syntax error at or near \"b\"");
  ExpectError(Wrap("x := a IS NOT 1;"), 2, 15, "syntax error at or near \"1\"");
  ExpectError(Wrap("x := (a + 1;"), 2, 12, "syntax error at or near \";\"");
  ExpectError(Wrap("x := f(a,);"), 2, 10, "syntax error at or near \")\"");
  ExpectError(Wrap("x := a.b.c;"), 2, 9, "syntax error at or near \".\"");
  ExpectError(Wrap("x := ;"), 2, 6, "syntax error at or near \";\"");
  ExpectError(Wrap("x := 1 +"), 3, 1, "syntax error at or near \"END\"");
  ExpectError(std::string(kHeader) + "x := 1 +", 2, 9, "syntax error at end of input");
  ExpectError(Wrap("x := CAST(a, int);"), 2, 12, "syntax error at or near \",\"");
  ExpectError(Wrap("x := a::;"), 2, 9, "syntax error at or near \";\"");
  for (const char *word : {"then",  "loop", "else",   "elsif",  "end",     "when",  "into",  "from",
                           "where", "set",  "values", "by",     "group",   "order", "limit", "join",
                           "and",   "or",   "is",     "select", "declare", "if"}) {
    ExpectError(Wrap(std::string("x := ") + word + ";"), 2, 6,
                std::string("syntax error at or near \"") + word + "\"");
  }
  // Double-quoted, a reserved word is a name.
  EXPECT_EQ(ShowExpr("\"then\" + 1"), "(+ then 1)");
}

// ---- Lexer ---------------------------------------------------------------------

std::vector<Token> Lex(const std::string &source) {
  std::vector<Token> tokens;
  SourceError error;
  EXPECT_TRUE(Tokenize(source, &tokens, &error)) << error.message;
  return tokens;
}

TEST(NativeParser, LexerTokens) {
  std::vector<Token> t =
      Lex("Abc \"Mixed \"\"Q\"\"\" 1..10 .5 1.5E-3 'a''b' N'n' <> != := :: || ..");
  ASSERT_EQ(t.size(), 16u);
  EXPECT_EQ(t[0].kind, TokenKind::kIdentifier);
  EXPECT_EQ(t[0].text, "abc");
  EXPECT_EQ(t[0].raw, "Abc");
  EXPECT_EQ(t[1].kind, TokenKind::kQuotedIdentifier);
  EXPECT_EQ(t[1].text, "Mixed \"Q\"");
  ExpectPos(t[1].pos, 1, 5);
  EXPECT_EQ(t[2].kind, TokenKind::kInteger);
  EXPECT_EQ(t[2].text, "1");
  EXPECT_EQ(t[3].text, "..");
  EXPECT_EQ(t[4].kind, TokenKind::kInteger);
  EXPECT_EQ(t[5].kind, TokenKind::kNumeric);
  EXPECT_EQ(t[5].text, ".5");
  EXPECT_EQ(t[6].kind, TokenKind::kNumeric);
  EXPECT_EQ(t[6].text, "1.5E-3");
  EXPECT_EQ(t[7].kind, TokenKind::kString);
  EXPECT_EQ(t[7].text, "a'b");
  EXPECT_EQ(t[7].raw, "'a''b'");
  EXPECT_EQ(t[8].kind, TokenKind::kString);
  EXPECT_EQ(t[8].text, "n");
  for (int i = 9; i < 15; ++i) EXPECT_EQ(t[i].kind, TokenKind::kOperator);
  EXPECT_EQ(t[10].text, "!=");
  EXPECT_EQ(t[14].text, "..");
  EXPECT_EQ(t[15].kind, TokenKind::kEnd);
  ExpectPos(t[15].pos, 1, 64);
}

TEST(NativeParser, LexerPositionsAndComments) {
  std::vector<Token> t =
      Lex("a -- comment ' \" /*\n"
          "  /* outer /* inner */ still comment */ b\n"
          "\t'é' c\r\n"
          "été d");
  ASSERT_EQ(t.size(), 7u);
  ExpectPos(t[0].pos, 1, 1);
  EXPECT_EQ(t[1].text, "b");
  ExpectPos(t[1].pos, 2, 41);
  EXPECT_EQ(t[2].text, "é");
  ExpectPos(t[3].pos, 3, 6);  // columns count characters, not bytes
  EXPECT_EQ(t[4].text, "été");
  ExpectPos(t[5].pos, 4, 5);
}

TEST(NativeParser, LexerErrors) {
  ExpectError(Wrap("x := 'abc;\ny := 1;"), 2, 6, "unterminated quoted string");
  ExpectError(Wrap("x := 1; /* a /* b */\n"), 2, 9, "unterminated /* comment");
  ExpectError(Wrap("x := \"abc;"), 2, 6, "unterminated quoted identifier");
  ExpectError(Wrap("x := \"\";"), 2, 6, "zero-length delimited identifier");
  ExpectError(Wrap("x := 1 @ 2;"), 2, 8, "syntax error at or near \"@\"");
  ExpectError(Wrap("x := $1;"), 2, 6, "syntax error at or near \"$\"");
  ExpectError(Wrap("x := a # 2;"), 2, 8, "syntax error at or near \"#\"");
  ExpectError(Wrap("x := a : 2;"), 2, 8, "syntax error at or near \":\"");
  ExpectError(Wrap("x := 'é' ! 2;"), 2, 10, "syntax error at or near \"!\"");
  ExpectError(Wrap("x := 123abc;"), 2, 6,
              "trailing junk after numeric literal at or near \"123abc\"");
  ExpectError(Wrap("x := 1.5e;"), 2, 6, "trailing junk after numeric literal at or near \"1.5e\"");
  ExpectError(Wrap("x := E'a';"), 2, 7, "syntax error at or near \"'a'\"");
}

// ---- Nesting limits ------------------------------------------------------------

const char kTooDeep[] = "statement or expression is nested too deeply";

TEST(NativeParser, DeepParentheses) {
  std::string deep =
      Wrap("x := " + std::string(100000, '(') + "1" + std::string(100000, ')') + ";");
  SourceError error = MustFail(deep);
  EXPECT_EQ(error.message, kTooDeep);
  EXPECT_EQ(error.pos.line, 2);

  // 990 parentheses are fine (the statement and each expression count one level).
  EXPECT_EQ(ShowExpr(std::string(990, '(') + "a" + std::string(990, ')')), "a");
  MustFail(Wrap("x := " + std::string(100000, '(')));
  MustFail(Wrap("x := f" + std::string(50000, '(')));
}

TEST(NativeParser, DeepPrefixOperatorsAndChains) {
  std::string minuses;
  for (int i = 0; i < 100000; ++i) minuses += "- ";  // not "--": that starts a comment
  EXPECT_EQ(MustFail(Wrap("x := " + minuses + "1;")).message, kTooDeep);

  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  EXPECT_EQ(MustFail(Wrap("x := " + nots + "a;")).message, kTooDeep);

  // A flat chain is parsed by a loop but its tree is as deep as it is long.
  std::string chain = "1";
  for (int i = 0; i < 100000; ++i) chain += "+1";
  SourceError error = MustFail(Wrap("x := " + chain + ";"));
  EXPECT_EQ(error.message, kTooDeep);
  ExpectPos(error.pos, 2, 7 + 2 * 999);  // the 1000th '+'

  std::string casts = "a";
  for (int i = 0; i < 5000; ++i) casts += "::int";
  EXPECT_EQ(MustFail(Wrap("x := " + casts + ";")).message, kTooDeep);

  std::string ok = "1";
  for (int i = 0; i < 900; ++i) ok += " + 1";
  MustParse(Wrap("x := " + ok + ";"));
}

TEST(NativeParser, DeepSubqueriesInFrom) {
  auto nested = [](int levels, const std::string &inner) {
    std::string from = "t";
    for (int i = 0; i < levels; ++i) from = "(SELECT " + inner + " AS x FROM " + from + ") d";
    return Wrap("SELECT x INTO y FROM " + from + ";");
  };
  MustParse(nested(200, "x"));
  EXPECT_EQ(MustFail(nested(2000, "x")).message, kTooDeep);
  // The heights of the expressions inside count with the levels around them.
  std::string chain = "x";
  for (int i = 0; i < 600; ++i) chain += " + 1";
  MustParse(nested(1, chain));
  EXPECT_EQ(MustFail(nested(600, chain)).message, kTooDeep);
}

TEST(NativeParser, DeepStatements) {
  const int kIfs = 2000;
  std::string body;
  for (int i = 0; i < kIfs; ++i) body += "IF a THEN\n";
  for (int i = 0; i < kIfs; ++i) body += "END IF;\n";
  SourceError error = MustFail(Wrap(body));
  EXPECT_EQ(error.message, kTooDeep);
  // IF number 1000 (line 1001) is the 1000th level; its condition would be the 1001st.
  ExpectPos(error.pos, 1001, 4);

  std::string loops;
  for (int i = 0; i < 500; ++i) loops += "LOOP ";
  for (int i = 0; i < 500; ++i) loops += "END LOOP; ";
  MustParse(Wrap(loops));
}

// ---- SQLSTATE codes -------------------------------------------------------------

TEST(NativeParser, SqlStates) {
  EXPECT_EQ(MustFail(Wrap("x = 1;")).sqlstate, "42601");
  EXPECT_EQ(MustFail(Wrap("x := 'abc;")).sqlstate, "42601");
  EXPECT_EQ(MustFail(Wrap("RAISE 'x' USING ERRCODE = 'bad';")).sqlstate, "42601");
  EXPECT_EQ(MustFail(Wrap("OPEN c;")).sqlstate, "0A000");
  EXPECT_EQ(
      MustFail("BEGIN ATOMIC WITH (TRANSACTION ISOLATION LEVEL = READ COMMITTED) END").sqlstate,
      "0A000");
  EXPECT_EQ(MustFail(Wrap("DECLARE x int NOT NULL;")).sqlstate, "22004");
  EXPECT_EQ(MustFail(Wrap("x := " + std::string(2000, '(') + "1;")).sqlstate, "54001");
}

// ---- Robustness ----------------------------------------------------------------

// Every failure must come with a message and a position in the text.
void ParseAnything(const std::string &source) {
  Body body;
  SourceError error;
  if (!Parse(source, &body, &error)) {
    EXPECT_FALSE(error.message.empty()) << source;
    EXPECT_GE(error.pos.line, 1) << source;
    EXPECT_GE(error.pos.column, 1) << source;
  }
}

TEST(NativeParser, RandomBytes) {
  std::mt19937 rng(12345);
  const std::string kAlphabet = "()';\"-/*.:=<>!|+%,\n \tabcXYZ019eE_$\x80\xc3\xa9";
  for (int i = 0; i < 5000; ++i) {
    std::string source(rng() % 80, ' ');
    for (char &c : source) {
      c = (i % 2 == 0) ? static_cast<char>(rng() % 256) : kAlphabet[rng() % kAlphabet.size()];
    }
    if (i % 4 < 2) source = kHeader + source;
    ParseAnything(source);
  }
}

TEST(NativeParser, RandomTokenSoup) {
  const std::vector<std::string> kWords = {
      "BEGIN",  "ATOMIC", "WITH",      "(",        ")",      "TRANSACTION", "ISOLATION",
      "LEVEL",  "=",      "SNAPSHOT",  "END",      ";",      "DECLARE",     "x",
      "int",    ":=",     "1",         "2.5",      "'s'",    "IF",          "THEN",
      "ELSIF",  "ELSE",   "WHILE",     "LOOP",     "FOR",    "IN",          "REVERSE",
      "..",     "BY",     "EXIT",      "CONTINUE", "WHEN",   "RETURN",      "RAISE",
      "NOTICE", "USING",  "ERRCODE",   "'P0001'",  "INSERT", "INTO",        "VALUES",
      "UPDATE", "SET",    "WHERE",     "DELETE",   "FROM",   "SELECT",      "NULL",
      "NOT",    "IS",     "AND",       "OR",       "+",      "-",           "*",
      "/",      "%",      "||",        "::",       "<>",     "<",           ">=",
      ",",      ".",      "CAST",      "AS",       "t",      "f",           "TRUE",
      "\"Q\"",  "double", "precision", "PERFORM",  "--c\n",  "/* c */"};
  std::mt19937 rng(67890);
  for (int i = 0; i < 5000; ++i) {
    std::string source = (i % 3 == 0) ? "" : kHeader;
    int length = static_cast<int>(rng() % 60);
    for (int j = 0; j < length; ++j) source += kWords[rng() % kWords.size()] + " ";
    if (i % 2 == 0) source += "END";
    ParseAnything(source);
  }
}

TEST(NativeParser, RandomMutationsOfValidBodies) {
  const std::string kValid = Wrap(
      "DECLARE i int := 10;\n"
      "DECLARE s text;\n"
      "WHILE i > 0 LOOP\n"
      "  IF i % 2 = 0 THEN CONTINUE; ELSIF i IS NULL THEN EXIT; END IF;\n"
      "  INSERT INTO t1 (a, b) VALUES (i, i + 1), (-i, CAST(i AS bigint));\n"
      "  UPDATE t1 SET b = b * 2 WHERE a = i;\n"
      "  SELECT b INTO s FROM t1 x WHERE x.a = i;\n"
      "  RAISE NOTICE 'i = %', i USING ERRCODE = '01000';\n"
      "  i := i - 1;\n"
      "END LOOP;\n"
      "FOR j IN REVERSE 10..1 BY 2 LOOP DELETE FROM t1 WHERE a = j; END LOOP;\n"
      "RETURN;");
  MustParse(kValid);
  std::mt19937 rng(424242);
  for (int i = 0; i < 3000; ++i) {
    std::string source = kValid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % source.size();
      switch (rng() % 3) {
        case 0:
          source.erase(at, 1 + rng() % 8);
          break;
        case 1:
          source.insert(at, 1, "();'\".:-/*"[rng() % 10]);
          break;
        default:
          source.insert(at, source.substr(rng() % source.size(), rng() % 20));
          break;
      }
      if (source.empty()) source = " ";
    }
    ParseAnything(source);
  }
}

}  // namespace
}  // namespace native
}  // namespace memopt
