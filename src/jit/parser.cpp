// parser.cpp - recursive-descent parser of LANGUAGE native_compilation bodies
// (see parser.h). One member function per grammar rule; the rule is quoted in
// the comment above it.
//
// Errors are thrown as ParseFailure inside the parser and turned into a
// SourceError by Parse(), which never lets an exception out: the caller is
// PostgreSQL C code.
//
// Nesting is bounded (kMaxDepth) twice over: the parser's own recursion
// (statements inside statements, parentheses, prefix operators) and the
// height of every expression tree, since a long flat chain such as 1+1+...+1
// is parsed by a loop but later walked (and destroyed) recursively.
#include "parser.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <unordered_map>
#include <utility>

#include "lexer.h"
#include "runtime_api.h"

namespace memopt {
namespace native {

namespace {

constexpr int kMaxDepth = 1000;

const char kFeatureNotSupported[] = "0A000";
const char kTooDeep[] = "statement or expression is nested too deeply";
const char kRequiresIsolation[] = "BEGIN ATOMIC requires the TRANSACTION ISOLATION LEVEL option";
const char kNotOneBlock[] =
    "the body of a natively compiled routine must be one BEGIN ATOMIC WITH (...) block";

// Words that never name a variable, column or table (unless double-quoted):
// statement keywords and the words that end or join expressions, so that an
// expression can stop at them without look-ahead.
const char *const kReservedWords[] = {
    "and",    "as",     "asc",    "begin",  "by",     "continue", "cross", "declare", "delete",
    "desc",   "else",   "elseif", "elsif",  "end",    "exit",     "false", "for",     "from",
    "group",  "having", "if",     "inner",  "insert", "into",     "is",    "join",    "limit",
    "loop",   "not",    "null",   "offset", "on",     "or",       "order", "raise",   "return",
    "select", "set",    "then",   "true",   "update", "values",   "when",  "where",   "while",
};

// Words that start a join after a FROM item, so never its alias; left()
// and right() stay usable as functions (as in PostgreSQL).
const char *const kJoinWords[] = {"left", "right", "full", "natural"};
const char *const kUnsupportedJoinWords[] = {"right", "full", "natural"};

// PL/pgSQL statements users will try; they get a clear message rather than
// a syntax error. Not reserved: "close" or "open" stay usable as names.
const char *const kUnsupportedStatements[] = {
    "assert", "close", "commit",  "execute",  "fetch",     "foreach",
    "move",   "open",  "release", "rollback", "savepoint",
};

// Type names that make a quoted literal after them a constant of the type
// (PostgreSQL's `type 'string'` syntax), as in date '2024-01-01'.
// The first word may be followed by those of kCastTypeContinuations
// (double precision '1.5', timestamp with time zone '...').
const char *const kTypedLiteralWords[] = {
    "bigint",  "bool",   "boolean",   "bytea",       "char",    "character", "date",
    "decimal", "double", "float",     "float4",      "float8",  "int",       "int2",
    "int4",    "int8",   "integer",   "interval",    "numeric", "real",      "smallint",
    "text",    "time",   "timestamp", "timestamptz", "uuid",    "varchar",
};

// Words that end a select-list item rather than label it (PostgreSQL
// reserves them), so that they get their own message.
const char *const kNotBareLabels[] = {"collate", "except", "fetch",     "intersect",
                                      "union",   "window", "returning", "using"};

const char *const kRaiseLevels[] = {"debug", "log", "info", "notice", "warning", "exception"};

// Words that may continue a type name after a cast (double precision,
// character varying, timestamp with time zone); anything else ends it.
const char *const kCastTypeContinuations[] = {"precision", "varying", "with",
                                              "without",   "time",    "zone"};

template <size_t N>
bool Contains(const char *const (&words)[N], const std::string &word) {
  for (const char *w : words) {
    if (word == w) return true;
  }
  return false;
}

std::string ToUpperAscii(std::string s) {
  for (char &c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// SQLSTATE codes are five characters of [0-9A-Z], as PostgreSQL requires.
bool IsSqlState(const std::string &code) {
  if (code.size() != 5) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); });
}

// The number of % placeholders in a RAISE format (%% prints one %).
size_t CountPlaceholders(const std::string &format) {
  size_t count = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 < format.size() && format[i + 1] == '%') {
      ++i;
    } else {
      ++count;
    }
  }
  return count;
}

struct ParseFailure {
  SourceError error;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // body := BEGIN ATOMIC WITH '(' option {',' option} ')' stmts END [';'] EOF
  void ParseBody(Body *body) {
    if (!IsKeyword(Peek(), "begin") || !IsKeyword(Peek(1), "atomic")) {
      Fail(Peek().pos, kNotOneBlock);
    }
    Next();
    Next();
    ParseAtomicOptions(&body->options);
    body->statements = ParseStatements();
    if (IsKeyword(Peek(), "exception"))
      Fail(Peek().pos, "the BEGIN ATOMIC block cannot have EXCEPTION handlers",
           "Put the statements and their handlers in a nested BEGIN ... EXCEPTION ... END block.",
           kFeatureNotSupported);
    ExpectKeyword("end");
    AcceptOp(";");
    if (Peek().kind != TokenKind::kEnd) SyntaxError(Peek());
  }

 private:
  using StatementRule = StmtPtr (Parser::*)();
  using ExprRule = ExprPtr (Parser::*)();

  // Counts one level of recursion for as long as it lives.
  class DepthGuard {
   public:
    DepthGuard(Parser *parser, const Token &at) : parser_(parser) {
      if (parser_->depth_ >= kMaxDepth) parser_->FailTooDeep(at.pos);
      parser_->depth_++;
    }
    ~DepthGuard() { parser_->depth_--; }
    DepthGuard(const DepthGuard &) = delete;
    DepthGuard &operator=(const DepthGuard &) = delete;

   private:
    Parser *parser_;
  };

  // ---- Tokens ------------------------------------------------------------

  const Token &Peek(size_t ahead = 0) const {
    return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
  }

  // Returns the current token and moves on; stays on the final kEnd token.
  const Token &Next() {
    const Token &token = tokens_[next_];
    if (next_ + 1 < tokens_.size()) next_++;
    return token;
  }

  static bool IsKeyword(const Token &token, const char *word) {
    return token.kind == TokenKind::kIdentifier && token.text == word;
  }

  static bool IsOp(const Token &token, const char *op) {
    return token.kind == TokenKind::kOperator && token.text == op;
  }

  // An operator spelled with letters ("and", "or") is a keyword token.
  static bool IsOperator(const Token &token, const char *op) {
    bool word = (op[0] >= 'a' && op[0] <= 'z');
    return word ? IsKeyword(token, op) : IsOp(token, op);
  }

  static bool IsReserved(const Token &token) {
    return token.kind == TokenKind::kIdentifier && Contains(kReservedWords, token.text);
  }

  // A token that can name a variable, column or table.
  static bool IsName(const Token &token) {
    return token.kind == TokenKind::kQuotedIdentifier ||
           (token.kind == TokenKind::kIdentifier && !IsReserved(token));
  }

  bool AcceptKeyword(const char *word) {
    if (!IsKeyword(Peek(), word)) return false;
    Next();
    return true;
  }

  bool AcceptOp(const char *op) {
    if (!IsOp(Peek(), op)) return false;
    Next();
    return true;
  }

  const Token &ExpectKeyword(const char *word) {
    if (!IsKeyword(Peek(), word)) SyntaxError(Peek());
    return Next();
  }

  const Token &ExpectOp(const char *op) {
    if (!IsOp(Peek(), op)) SyntaxError(Peek());
    return Next();
  }

  std::string ExpectName(SourcePos *pos = nullptr) {
    if (!IsName(Peek())) SyntaxError(Peek());
    if (pos != nullptr) *pos = Peek().pos;
    return Next().text;
  }

  const Token &ExpectString() {
    if (Peek().kind != TokenKind::kString) SyntaxError(Peek());
    return Next();
  }

  // ---- Errors ------------------------------------------------------------

  // SourceError::sqlstate says which PostgreSQL error code the caller raises;
  // most parse errors are syntax errors (42601).
  [[noreturn]] void Fail(SourcePos pos, std::string message, std::string hint = std::string(),
                         const char *sqlstate = "42601") {
    ParseFailure failure;
    failure.error.pos = pos;
    failure.error.message = std::move(message);
    failure.error.hint = std::move(hint);
    failure.error.sqlstate = sqlstate;
    throw failure;
  }

  // Out of line and cold: the recursive rules inline DepthGuard, and the
  // message string must not take stack space in each of their frames.
  [[noreturn, gnu::noinline, gnu::cold]] void FailTooDeep(SourcePos pos) {
    Fail(pos, kTooDeep, std::string(), "54001");  // statement_too_complex
  }

  [[noreturn]] void SyntaxError(const Token &token) {
    if (token.kind == TokenKind::kEnd) Fail(token.pos, "syntax error at end of input");
    Fail(token.pos, "syntax error at or near \"" + token.raw + "\"");
  }

  [[noreturn]] void Unsupported(const Token &token) {
    Fail(token.pos,
         "\"" + ToUpperAscii(token.text) + "\" is not supported in natively compiled routines",
         std::string(), kFeatureNotSupported);
  }

  // ---- BEGIN ATOMIC options ------------------------------------------------

  // WITH '(' option {',' option} ')'; TRANSACTION ISOLATION LEVEL is required.
  void ParseAtomicOptions(AtomicOptions *options) {
    if (!IsKeyword(Peek(), "with")) {
      if (Peek().kind == TokenKind::kEnd) SyntaxError(Peek());
      Fail(Peek().pos, kRequiresIsolation);
    }
    const Token &with = Next();
    options->pos = with.pos;
    if (!AcceptOp("(")) Fail(with.pos, kRequiresIsolation);
    std::vector<std::string> seen;
    if (!IsOp(Peek(), ")")) {
      do {
        ParseAtomicOption(options, &seen);
      } while (AcceptOp(","));
    }
    const Token &close = ExpectOp(")");
    if (options->isolation.empty()) Fail(close.pos, kRequiresIsolation);
  }

  // option := TRANSACTION ISOLATION LEVEL '=' level
  //         | DELAYED_DURABILITY '=' (ON | OFF) | LANGUAGE '=' string
  void ParseAtomicOption(AtomicOptions *options, std::vector<std::string> *seen) {
    const Token &first = Peek();
    if (first.kind != TokenKind::kIdentifier) SyntaxError(first);
    std::string name = first.text == "transaction" ? "transaction isolation level" : first.text;
    if (name != "transaction isolation level" && name != "delayed_durability" &&
        name != "language") {
      Fail(first.pos, "unrecognized BEGIN ATOMIC option \"" + first.text + "\"");
    }
    if (std::find(seen->begin(), seen->end(), name) != seen->end()) {
      Fail(first.pos, "option \"" + name + "\" specified more than once");
    }
    seen->push_back(name);
    Next();
    if (name == "transaction isolation level") {
      ParseIsolationLevel(options);
    } else if (name == "delayed_durability") {
      ParseDelayedDurability(options);
    } else {
      ExpectOp("=");
      ExpectString();  // accepted for Hekaton compatibility, and ignored
    }
  }

  // ISOLATION LEVEL '=' (SNAPSHOT | REPEATABLE READ | SERIALIZABLE)
  void ParseIsolationLevel(AtomicOptions *options) {
    ExpectKeyword("isolation");
    ExpectKeyword("level");
    ExpectOp("=");
    const Token &level = Peek();
    if (AcceptKeyword("snapshot") || AcceptKeyword("serializable")) {
      options->isolation = level.text;
    } else if (AcceptKeyword("repeatable")) {
      ExpectKeyword("read");
      options->isolation = "repeatable read";
    } else if (AcceptKeyword("read")) {
      if (!IsKeyword(Peek(), "committed") && !IsKeyword(Peek(), "uncommitted")) {
        SyntaxError(Peek());
      }
      Fail(
          level.pos,
          "isolation level READ " + ToUpperAscii(Peek().text) + " is not supported in BEGIN ATOMIC",
          "Use SNAPSHOT, REPEATABLE READ or SERIALIZABLE.", kFeatureNotSupported);
    } else {
      SyntaxError(level);
    }
  }

  // '=' (ON | OFF)
  void ParseDelayedDurability(AtomicOptions *options) {
    ExpectOp("=");
    if (AcceptKeyword("on")) {
      options->delayed_durability = true;
    } else if (AcceptKeyword("off")) {
      options->delayed_durability = false;
    } else {
      SyntaxError(Peek());
    }
  }

  // ---- Statements ----------------------------------------------------------

  // stmts := { stmt }, up to the END / ELSIF / ELSE that closes the block.
  StmtList ParseStatements() {
    StmtList list;
    while (!IsKeyword(Peek(), "end") && !IsKeyword(Peek(), "else") && !IsKeyword(Peek(), "elsif") &&
           !IsKeyword(Peek(), "elseif") && !IsKeyword(Peek(), "when") &&
           !IsKeyword(Peek(), "exception")) {
      list.push_back(ParseStatement());
    }
    return list;
  }

  static StatementRule RuleFor(const std::string &keyword) {
    static const struct {
      const char *keyword;
      StatementRule rule;
    } kRules[] = {
        {"declare", &Parser::ParseDeclare},
        {"begin", &Parser::ParseBlock},
        {"if", &Parser::ParseIf},
        {"while", &Parser::ParseWhile},
        {"loop", &Parser::ParseLoop},
        {"for", &Parser::ParseFor},
        {"exit", &Parser::ParseExit},
        {"continue", &Parser::ParseContinue},
        {"return", &Parser::ParseReturn},
        {"raise", &Parser::ParseRaise},
        {"insert", &Parser::ParseInsert},
        {"update", &Parser::ParseUpdate},
        {"delete", &Parser::ParseDelete},
        {"select", &Parser::ParseSelectInto},
        {"null", &Parser::ParseNullStatement},
        {"case", &Parser::ParseCaseStatement},
        {"call", &Parser::ParseCall},
        {"perform", &Parser::ParsePerform},
        {"get", &Parser::ParseGetDiagnostics},
    };
    for (const auto &entry : kRules) {
      if (keyword == entry.keyword) return entry.rule;
    }
    return nullptr;
  }

  // stmt := name ':=' expr ';' | '<<' label '>>' (loop | block) | a statement starting with its
  // keyword
  StmtPtr ParseStatement() {
    const Token &first = Peek();
    DepthGuard guard(this, first);
    if (IsOp(first, "<<")) return ParseLabeled();
    if (IsName(first) && IsOp(Peek(1), ":=")) return ParseAssign();
    if (first.kind == TokenKind::kIdentifier) {
      if (StatementRule rule = RuleFor(first.text)) return (this->*rule)();
      if (Contains(kUnsupportedStatements, first.text)) Unsupported(first);
    }
    // "name = expr" is not an assignment here: point at the '='.
    if (IsName(first) && IsOp(Peek(1), "=")) SyntaxError(Peek(1));
    SyntaxError(first);
  }

  StmtPtr NewStmt(StmtKind kind, const Token &first) {
    auto stmt = std::make_unique<Stmt>();
    stmt->kind = kind;
    stmt->pos = first.pos;
    return stmt;
  }

  // DECLARE name type [NOT NULL] [(':=' | '=' | DEFAULT) expr] ';'
  // Each DECLARE declares exactly one variable (no PL/pgSQL DECLARE section):
  // "DECLARE a int; b int;" is an error at "b".
  StmtPtr ParseDeclare() {
    StmtPtr stmt = NewStmt(StmtKind::kDeclare, Next());
    SourcePos name_pos;
    stmt->name = ExpectName(&name_pos);
    if (IsKeyword(Peek(), "constant")) Unsupported(Peek());
    stmt->type_name = ParseTypeName(/*any_words=*/true);
    if (AcceptKeyword("not")) {
      ExpectKeyword("null");
      stmt->not_null = true;
    }
    if (AcceptOp(":=") || AcceptOp("=") || AcceptKeyword("default")) {
      stmt->value = ParseExpr();
    } else if (stmt->not_null) {
      Fail(
          name_pos,
          "variable \"" + stmt->name + "\" must have a default value, since it's declared NOT NULL",
          std::string(), "22004");  // null_value_not_allowed, as PL/pgSQL
    }
    ExpectOp(";");
    return stmt;
  }

  // block := BEGIN stmts [EXCEPTION handler {handler}] END [label] ';'
  // handler := WHEN condition {OR condition} THEN stmts
  StmtPtr ParseBlock() {
    StmtPtr stmt = NewStmt(StmtKind::kBlock, Next());
    std::string label = TakePendingLabel();
    if (IsKeyword(Peek(), "atomic"))
      Fail(Peek().pos,
           "BEGIN ATOMIC can only be the outermost block of a natively compiled routine",
           "Write BEGIN without ATOMIC for a nested block.");
    stmt->body = ParseStatements();
    if (AcceptKeyword("exception")) {
      if (!IsKeyword(Peek(), "when")) SyntaxError(Peek());
      while (AcceptKeyword("when")) {
        std::vector<ExceptionCondition> conditions;
        do {
          conditions.push_back(ParseExceptionCondition());
        } while (AcceptKeyword("or"));
        ExpectKeyword("then");
        stmt->handlers.push_back(std::move(conditions));
        stmt->branches.push_back(ParseStatements());
      }
    }
    ExpectKeyword("end");
    ExpectEndLabel(label);
    return stmt;
  }

  // condition := name | SQLSTATE 'xxxxx'
  ExceptionCondition ParseExceptionCondition() {
    ExceptionCondition condition;
    condition.pos = Peek().pos;
    if (IsKeyword(Peek(), "sqlstate") && Peek(1).kind == TokenKind::kString) {
      Next();
      const Token &code = Next();
      if (!IsSqlState(code.text)) Fail(code.pos, "invalid SQLSTATE code");
      condition.sqlstates.push_back(code.text);
      return condition;
    }
    condition.name = ExpectName(&condition.pos);
    return condition;
  }

  // PERFORM expr {',' expr} [FROM from-list query-clauses] ';'
  StmtPtr ParsePerform() {
    StmtPtr stmt = NewStmt(StmtKind::kPerform, Next());
    ParseSelectList(stmt.get());
    if (IsKeyword(Peek(), "from")) ParseQueryClauses(stmt.get());
    ExpectOp(";");
    return stmt;
  }

  // GET [CURRENT] DIAGNOSTICS name (':=' | '=') ROW_COUNT {',' ...} ';'
  // GET STACKED DIAGNOSTICS name (':=' | '=') error-item {',' ...} ';'
  StmtPtr ParseGetDiagnostics() {
    StmtPtr stmt = NewStmt(StmtKind::kGetDiagnostics, Next());
    stmt->stacked = AcceptKeyword("stacked");
    if (!stmt->stacked) AcceptKeyword("current");
    ExpectKeyword("diagnostics");
    do {
      SourcePos pos;
      stmt->into.push_back(ExpectName(&pos));
      stmt->into_pos.push_back(pos);
      if (!AcceptOp(":=")) ExpectOp("=");
      stmt->error_fields.push_back(ParseDiagnosticsItem(stmt->stacked));
    } while (AcceptOp(","));
    ExpectOp(";");
    return stmt;
  }

  // A GET DIAGNOSTICS item: -1 for ROW_COUNT (CURRENT only), else the
  // MemoptNativeErrorField it reads (STACKED only), as PL/pgSQL's grammar.
  int32_t ParseDiagnosticsItem(bool stacked) {
    static const struct {
      const char *name;
      int32_t field;
    } kItems[] = {
        {"row_count", -1},
        {"returned_sqlstate", MEMOPT_ERROR_SQLSTATE},
        {"message_text", MEMOPT_ERROR_MESSAGE},
        {"pg_exception_detail", MEMOPT_ERROR_DETAIL},
        {"pg_exception_hint", MEMOPT_ERROR_HINT},
        {"pg_exception_context", MEMOPT_ERROR_CONTEXT},
        {"schema_name", MEMOPT_ERROR_SCHEMA},
        {"table_name", MEMOPT_ERROR_TABLE},
        {"column_name", MEMOPT_ERROR_COLUMN},
        {"pg_datatype_name", MEMOPT_ERROR_DATATYPE},
        {"constraint_name", MEMOPT_ERROR_CONSTRAINT},
    };
    const Token &item = Next();
    if (IsKeyword(item, "pg_context") || IsKeyword(item, "pg_routine_oid"))
      Fail(item.pos,
           "GET DIAGNOSTICS " + ToUpperAscii(item.text) +
               " is not supported in natively compiled routines",
           "", kFeatureNotSupported);
    for (const auto &known : kItems) {
      if (!IsKeyword(item, known.name)) continue;
      if (stacked == (known.field < 0))
        Fail(item.pos, "diagnostics item " + ToUpperAscii(item.text) + " is not allowed in GET " +
                           (stacked ? "STACKED" : "CURRENT") + " DIAGNOSTICS");
      return known.field;
    }
    Fail(item.pos, "unrecognized GET DIAGNOSTICS item at or near \"" + item.text + "\"");
  }

  // name ':=' expr ';'
  StmtPtr ParseAssign() {
    StmtPtr stmt = NewStmt(StmtKind::kAssign, Peek());
    stmt->name = ExpectName();
    ExpectOp(":=");
    stmt->value = ParseExpr();
    ExpectOp(";");
    return stmt;
  }

  // IF expr THEN stmts {(ELSIF | ELSEIF) expr THEN stmts} [ELSE stmts] END IF ';'
  StmtPtr ParseIf() {
    StmtPtr stmt = NewStmt(StmtKind::kIf, Next());
    do {
      stmt->conds.push_back(ParseExpr());
      ExpectKeyword("then");
      stmt->branches.push_back(ParseStatements());
    } while (AcceptKeyword("elsif") || AcceptKeyword("elseif"));
    if (AcceptKeyword("else")) stmt->else_body = ParseStatements();
    ExpectKeyword("end");
    ExpectKeyword("if");
    ExpectOp(";");
    return stmt;
  }

  // CALL name '(' [expr {',' expr}] ')' ';'
  StmtPtr ParseCall() {
    StmtPtr stmt = NewStmt(StmtKind::kCallRoutine, Next());
    stmt->name = ExpectName();
    ExpectOp("(");
    if (!AcceptOp(")")) {
      stmt->args = ParseExprList();
      ExpectOp(")");
    }
    ExpectOp(";");
    return stmt;
  }

  // CASE [selector] WHEN expr {',' expr} THEN stmts {WHEN ...} [ELSE stmts]
  // END CASE ';' -- an IF chain (selector = expr OR ...); no ELSE raises
  // "case not found" (SQLSTATE 20000) as in PL/pgSQL.
  StmtPtr ParseCaseStatement() {
    StmtPtr stmt = NewStmt(StmtKind::kIf, Next());
    ExprPtr selector;
    if (!IsKeyword(Peek(), "when")) selector = ParseExpr();
    ExpectKeyword("when");
    do {
      stmt->conds.push_back(ParseWhenCondition(selector.get(), /*allow_list=*/true));
      ExpectKeyword("then");
      stmt->branches.push_back(ParseStatements());
    } while (AcceptKeyword("when"));
    if (AcceptKeyword("else")) {
      stmt->else_body = ParseStatements();
    } else {
      auto raise = std::make_unique<Stmt>();
      raise->kind = StmtKind::kRaise;
      raise->pos = stmt->pos;
      raise->level = "exception";
      raise->format = "case not found";
      raise->errcode = "20000";
      stmt->else_body.push_back(std::move(raise));
    }
    ExpectKeyword("end");
    ExpectKeyword("case");
    ExpectOp(";");
    return stmt;
  }

  // A WHEN of a searched CASE is a condition; of a simple CASE, a value the
  // selector is compared with (in the statement, a list of them).
  ExprPtr ParseWhenCondition(const Expr *selector, bool allow_list) {
    if (selector == nullptr) return ParseExpr();
    if (HasSubquery(selector))
      Fail(selector->pos, "subqueries are not supported in the selector of a CASE",
           "Write the CASE with WHEN conditions instead: CASE WHEN x = (SELECT ...) THEN ...",
           kFeatureNotSupported);
    ExprPtr condition;
    do {
      ExprPtr value = ParseExpr();
      ExprPtr equal = NewExpr(ExprKind::kBinary, value->pos);
      equal->op = "=";
      equal->args.push_back(CloneExpr(*selector));
      equal->args.push_back(std::move(value));
      if (!condition) {
        condition = std::move(equal);
      } else {
        ExprPtr either = NewExpr(ExprKind::kBinary, equal->pos);
        either->op = "or";
        either->args.push_back(std::move(condition));
        either->args.push_back(std::move(equal));
        condition = std::move(either);
      }
    } while (allow_list && AcceptOp(","));
    return condition;
  }

  // stmts END LOOP [label] ';' (the tail of every loop; the label, if any,
  // is the loop's own)
  StmtList ParseLoopBody() {
    std::string label = TakePendingLabel();
    StmtList body = ParseStatements();
    ExpectKeyword("end");
    ExpectKeyword("loop");
    ExpectEndLabel(label);
    return body;
  }

  // The <<label>> written before the loop or block being parsed, if any.
  std::string TakePendingLabel() {
    std::string label = std::move(pending_label_);
    pending_label_.clear();
    return label;
  }

  // [label] ';' after END LOOP or END: the label, if any, must be the
  // loop's or block's own.
  void ExpectEndLabel(const std::string &label) {
    if (IsName(Peek())) {
      const Token &end_label = Next();
      if (label.empty())
        Fail(end_label.pos, "end label \"" + end_label.text + "\" specified for unlabeled block");
      if (end_label.text != label)
        Fail(end_label.pos,
             "end label \"" + end_label.text + "\" differs from block's label \"" + label + "\"");
    }
    ExpectOp(";");
  }

  // '<<' name '>>' (WHILE | LOOP | FOR | BEGIN) ...: the label goes to the
  // loop or block (and its END LOOP or END may repeat it).
  StmtPtr ParseLabeled() {
    Next();
    std::string label = ExpectName();
    ExpectOp(">>");
    const Token &next = Peek();
    if (!IsKeyword(next, "while") && !IsKeyword(next, "loop") && !IsKeyword(next, "for") &&
        !IsKeyword(next, "begin"))
      Fail(next.pos,
           "a label must be followed by WHILE, LOOP, FOR or BEGIN in natively compiled routines",
           "", kFeatureNotSupported);
    pending_label_ = label;
    StmtPtr stmt = ParseStatement();
    stmt->label = label;
    return stmt;
  }

  // WHILE expr LOOP stmts END LOOP ';'
  StmtPtr ParseWhile() {
    StmtPtr stmt = NewStmt(StmtKind::kWhile, Next());
    stmt->conds.push_back(ParseExpr());
    ExpectKeyword("loop");
    stmt->body = ParseLoopBody();
    return stmt;
  }

  // LOOP stmts END LOOP ';'
  StmtPtr ParseLoop() {
    StmtPtr stmt = NewStmt(StmtKind::kLoop, Next());
    stmt->body = ParseLoopBody();
    return stmt;
  }

  // FOR name IN [REVERSE] expr '..' expr [BY expr] LOOP stmts END LOOP ';'
  // FOR name {',' name} IN SELECT ... LOOP stmts END LOOP ';'
  StmtPtr ParseFor() {
    StmtPtr stmt = NewStmt(StmtKind::kForRange, Next());
    SourcePos name_pos;
    stmt->name = ExpectName(&name_pos);
    stmt->into.push_back(stmt->name);
    stmt->into_pos.push_back(name_pos);
    while (AcceptOp(",")) {
      stmt->into.push_back(ExpectName(&name_pos));
      stmt->into_pos.push_back(name_pos);
    }
    ExpectKeyword("in");
    if (AcceptKeyword("select")) return ParseForQuery(std::move(stmt));
    if (stmt->into.size() > 1) ExpectKeyword("select");  // a list of targets needs a query
    stmt->into.clear();
    stmt->into_pos.clear();
    stmt->reverse = AcceptKeyword("reverse");
    stmt->low = ParseExpr();
    ExpectOp("..");
    stmt->high = ParseExpr();
    if (AcceptKeyword("by")) stmt->step = ParseExpr();
    ExpectKeyword("loop");
    stmt->body = ParseLoopBody();
    return stmt;
  }

  // (after FOR targets IN SELECT) expr {',' expr} query-clauses LOOP stmts END LOOP ';'
  StmtPtr ParseForQuery(StmtPtr stmt) {
    stmt->kind = StmtKind::kForQuery;
    stmt->name.clear();
    ParseSelectList(stmt.get());
    ParseQueryClauses(stmt.get());
    ExpectKeyword("loop");
    stmt->body = ParseLoopBody();
    return stmt;
  }

  // (EXIT | CONTINUE) [label] [WHEN expr] ';'
  StmtPtr ParseExitOrContinue(StmtKind kind) {
    StmtPtr stmt = NewStmt(kind, Next());
    if (IsName(Peek()) && !IsKeyword(Peek(), "when")) stmt->name = Next().text;
    if (AcceptKeyword("when")) stmt->value = ParseExpr();
    ExpectOp(";");
    return stmt;
  }
  StmtPtr ParseExit() { return ParseExitOrContinue(StmtKind::kExit); }
  StmtPtr ParseContinue() { return ParseExitOrContinue(StmtKind::kContinue); }

  // RETURN [expr] ';'
  StmtPtr ParseReturn() {
    StmtPtr stmt = NewStmt(StmtKind::kReturn, Next());
    if (!IsOp(Peek(), ";")) stmt->value = ParseExpr();
    ExpectOp(";");
    return stmt;
  }

  // RAISE [level] 'format' {',' expr} [USING ERRCODE '=' 'xxxxx'] ';'
  StmtPtr ParseRaise() {
    StmtPtr stmt = NewStmt(StmtKind::kRaise, Next());
    stmt->level = "exception";
    if (AcceptOp(";")) {  // RAISE; (the binder checks it is in an EXCEPTION handler)
      stmt->reraise = true;
      return stmt;
    }
    if (Peek().kind == TokenKind::kIdentifier && Contains(kRaiseLevels, Peek().text)) {
      stmt->level = Next().text;
    }
    const Token &format = ExpectString();
    stmt->format = format.text;
    while (AcceptOp(",")) stmt->args.push_back(ParseExpr());
    CheckRaiseArguments(format, stmt->args.size());
    if (AcceptKeyword("using")) {
      ExpectKeyword("errcode");
      ExpectOp("=");
      const Token &code = ExpectString();
      if (!IsSqlState(code.text)) Fail(code.pos, "invalid SQLSTATE code");
      stmt->errcode = code.text;
    }
    ExpectOp(";");
    return stmt;
  }

  // As PL/pgSQL, checked when the routine is created rather than when it runs.
  void CheckRaiseArguments(const Token &format, size_t arguments) {
    size_t placeholders = CountPlaceholders(format.text);
    if (placeholders > arguments) Fail(format.pos, "too few parameters specified for RAISE");
    if (placeholders < arguments) Fail(format.pos, "too many parameters specified for RAISE");
  }

  // INSERT INTO qname ['(' col {',' col} ')'] (VALUES row {',' row} | query) ';'
  StmtPtr ParseInsert() {
    StmtPtr stmt = NewStmt(StmtKind::kInsert, Next());
    ExpectKeyword("into");
    stmt->target = ParseTableRef(/*allow_alias=*/false);
    if (AcceptOp("(")) {
      do {
        ParseColumnName(stmt.get());
      } while (AcceptOp(","));
      ExpectOp(")");
    }
    if (AcceptKeyword("select")) {
      ParseSelectList(stmt.get());
      ParseQueryClauses(stmt.get());
      ExpectOp(";");
      return stmt;
    }
    if (stmt->columns.empty() && AcceptKeyword("default")) {  // one row of defaults
      ExpectKeyword("values");
      ExpectOp(";");
      stmt->rows.emplace_back();
      return stmt;
    }
    ExpectKeyword("values");
    do {
      ParseValuesRow(stmt.get());
    } while (AcceptOp(","));
    ExpectOp(";");
    return stmt;
  }

  void ParseColumnName(Stmt *stmt) {
    SourcePos pos;
    stmt->columns.push_back(ExpectName(&pos));
    stmt->column_pos.push_back(pos);
  }

  // row := '(' expr {',' expr} ')'; every row has the first row's length.
  void ParseValuesRow(Stmt *stmt) {
    const Token &open = ExpectOp("(");
    std::vector<ExprPtr> row = ParseExprList();
    ExpectOp(")");
    if (!stmt->rows.empty() && row.size() != stmt->rows[0].size()) {
      Fail(open.pos, "VALUES lists must all be the same length");
    }
    stmt->rows.push_back(std::move(row));
  }

  // UPDATE qname [[AS] alias] SET col '=' expr {',' col '=' expr} [WHERE expr] ';'
  StmtPtr ParseUpdate() {
    StmtPtr stmt = NewStmt(StmtKind::kUpdate, Next());
    stmt->target = ParseTableRef(/*allow_alias=*/true);
    ExpectKeyword("set");
    do {
      ParseColumnName(stmt.get());
      ExpectOp("=");
      stmt->set_values.push_back(ParseExpr());
    } while (AcceptOp(","));
    ParseWhere(stmt.get());
    ExpectOp(";");
    return stmt;
  }

  // DELETE FROM qname [[AS] alias] [WHERE expr] ';'
  StmtPtr ParseDelete() {
    StmtPtr stmt = NewStmt(StmtKind::kDelete, Next());
    ExpectKeyword("from");
    stmt->target = ParseTableRef(/*allow_alias=*/true);
    ParseWhere(stmt.get());
    ExpectOp(";");
    return stmt;
  }

  // SELECT expr {',' expr} [INTO name {',' name}] query-clauses ';'
  StmtPtr ParseSelectInto() {
    StmtPtr stmt = NewStmt(StmtKind::kSelectInto, Next());
    ParseSelectList(stmt.get());
    if (IsKeyword(Peek(), "from")) {  // rows for the caller of a set-returning function
      stmt->kind = StmtKind::kSelectRows;
      ParseQueryClauses(stmt.get());
      ExpectOp(";");
      return stmt;
    }
    ExpectKeyword("into");
    do {
      SourcePos pos;
      stmt->into.push_back(ExpectName(&pos));
      stmt->into_pos.push_back(pos);
    } while (AcceptOp(","));
    if (IsOp(Peek(), ";"))
      stmt->kind = StmtKind::kSelectValues;
    else
      ParseQueryClauses(stmt.get());
    ExpectOp(";");
    return stmt;
  }

  // query-clauses := FROM from-list [WHERE expr] [GROUP BY expr {',' expr}]
  //   [HAVING expr] [ORDER BY sort-item {',' sort-item}] [LIMIT expr] [OFFSET expr]
  void ParseQueryClauses(Stmt *stmt) {
    ExpectKeyword("from");
    ParseFromList(stmt);
    if (AcceptKeyword("where")) stmt->where = AndAlso(std::move(stmt->where), ParseExpr());
    if (AcceptKeyword("group")) {
      ExpectKeyword("by");
      stmt->group_by = ParseExprList();
    }
    if (AcceptKeyword("having")) stmt->having = ParseExpr();
    if (AcceptKeyword("order")) stmt->order_by = ParseOrderBy();
    if (AcceptKeyword("limit")) stmt->limit = ParseExpr();
    if (AcceptKeyword("offset")) stmt->offset = ParseExpr();
  }

  // from-list := from-item {',' from-item | [INNER] JOIN from-item ON expr
  //   | LEFT [OUTER] JOIN from-item ON expr | CROSS JOIN from-item}; inner
  // joins' ON conditions join WHERE, a left join's stays with its item.
  void ParseFromList(Stmt *stmt) {
    stmt->from.push_back(ParseFromItem());
    for (;;) {
      if (AcceptOp(",")) {
        stmt->from.push_back(ParseFromItem());
        continue;
      }
      const Token &token = Peek();
      if (token.kind == TokenKind::kIdentifier && Contains(kUnsupportedJoinWords, token.text))
        Fail(token.pos,
             "RIGHT, FULL and NATURAL joins are not supported in natively compiled routines",
             "Write the join as a LEFT JOIN or an inner join with ON.", kFeatureNotSupported);
      if (AcceptKeyword("left")) {
        AcceptKeyword("outer");
        ExpectKeyword("join");
        stmt->from.push_back(ParseFromItem());
        ExpectKeyword("on");
        stmt->from.back().left_join = true;
        stmt->from.back().on = ParseExpr();
        continue;
      }
      if (AcceptKeyword("cross")) {
        ExpectKeyword("join");
        stmt->from.push_back(ParseFromItem());
        continue;
      }
      bool inner = AcceptKeyword("inner");
      if (!inner && !IsKeyword(Peek(), "join")) return;
      ExpectKeyword("join");
      stmt->from.push_back(ParseFromItem());
      ExpectKeyword("on");
      stmt->where = AndAlso(std::move(stmt->where), ParseExpr());
    }
  }

  static ExprPtr AndAlso(ExprPtr left, ExprPtr right) {
    if (!left) return right;
    auto both = std::make_unique<Expr>();
    both->kind = ExprKind::kBinary;
    both->op = "and";
    both->pos = right->pos;
    both->args.push_back(std::move(left));
    both->args.push_back(std::move(right));
    return both;
  }

  // (after ORDER) BY sort-item {',' sort-item}
  std::vector<SortItem> ParseOrderBy() {
    ExpectKeyword("by");
    std::vector<SortItem> items;
    do {
      items.push_back(ParseSortItem());
    } while (AcceptOp(","));
    return items;
  }

  // sort-item := expr [ASC | DESC] [NULLS (FIRST | LAST)]
  SortItem ParseSortItem() {
    SortItem item;
    item.pos = Peek().pos;
    item.expr = ParseExpr();
    if (AcceptKeyword("desc"))
      item.descending = true;
    else
      AcceptKeyword("asc");
    if (AcceptKeyword("nulls")) {
      if (AcceptKeyword("first"))
        item.nulls_first = 1;
      else if (AcceptKeyword("last"))
        item.nulls_first = 0;
      else
        SyntaxError(Peek());
    }
    return item;
  }

  // NULL ';'
  StmtPtr ParseNullStatement() {
    StmtPtr stmt = NewStmt(StmtKind::kNullStmt, Next());
    ExpectOp(";");
    return stmt;
  }

  // [WHERE expr]
  void ParseWhere(Stmt *stmt) {
    if (AcceptKeyword("where")) stmt->where = ParseExpr();
  }

  // qname [[AS] alias], qname := name ['.' name]
  TableRef ParseTableRef(bool allow_alias) {
    TableRef ref;
    ref.pos = Peek().pos;
    ref.name.push_back(ExpectName());
    if (AcceptOp(".")) ref.name.push_back(ExpectName());
    if (allow_alias) ParseAlias(&ref);
    return ref;
  }

  // [[AS] alias]
  void ParseAlias(TableRef *ref) {
    if (AcceptKeyword("as")) {
      ref->alias = ExpectName();
    } else if (IsName(Peek()) &&
               !(Peek().kind == TokenKind::kIdentifier && Contains(kJoinWords, Peek().text))) {
      ref->alias = Next().text;
    }
  }

  // from-item := qname [[AS] alias]
  //   | '(' SELECT select-list query-clauses ')' [AS] alias ['(' name {',' name} ')']
  TableRef ParseFromItem() {
    if (!IsOp(Peek(), "(")) return ParseTableRef(/*allow_alias=*/true);
    DepthGuard guard(this, Peek());
    TableRef ref;
    ref.pos = Next().pos;
    if (IsKeyword(Peek(), "values"))
      Fail(Peek().pos, "VALUES lists in FROM are not supported in natively compiled routines", "",
           kFeatureNotSupported);
    ref.query = ParseSubquery(nullptr);
    ExpectOp(")");
    ParseAlias(&ref);
    if (ref.alias.empty())
      Fail(ref.pos, "subquery in FROM must have an alias",
           "For example, FROM (SELECT ...) [AS] foo.", "42601");
    if (AcceptOp("(")) {
      do {
        ref.column_aliases.push_back(ExpectName());
      } while (AcceptOp(","));
      ExpectOp(")");
    }
    int height = 1 + QueryHeight(*ref.query);
    if (height > kMaxDepth) FailTooDeep(ref.pos);
    from_heights_[ref.query.get()] = height;
    return ref;
  }

  // ---- Type names ----------------------------------------------------------

  // type := word {word} ['(' int {',' int} ')'] {word}
  // In DECLARE (any_words) any word goes and the binder checks the name; after
  // '::' or in CAST only the words of multi-word SQL types may follow the
  // first, since the expression may go on with e.g. USING.
  TypeName ParseTypeName(bool any_words) {
    TypeName type;
    type.pos = Peek().pos;
    if (!IsTypeWord(Peek())) SyntaxError(Peek());
    type.name = Next().text;
    bool modifiers_done = false;
    for (;;) {
      if (!modifiers_done && IsOp(Peek(), "(")) {
        ParseTypeModifiers(&type);
        modifiers_done = true;
      } else if (IsTypeWord(Peek()) &&
                 (any_words || Contains(kCastTypeContinuations, Peek().text))) {
        type.name += " " + Next().text;
      } else {
        return type;
      }
    }
  }

  static bool IsTypeWord(const Token &token) {
    return IsName(token) && !IsKeyword(token, "default");
  }

  // '(' int {',' int} ')'
  void ParseTypeModifiers(TypeName *type) {
    ExpectOp("(");
    do {
      const Token &number = Peek();
      if (number.kind != TokenKind::kInteger) SyntaxError(number);
      if (number.text.size() > 9) Fail(number.pos, "type modifier is out of range");
      type->modifiers.push_back(std::stoi(Next().text));
    } while (AcceptOp(","));
    ExpectOp(")");
  }

  // ---- Expressions ---------------------------------------------------------
  //
  // A parenthesis costs one frame of every precedence level below, so the
  // code that builds nodes is kept out of line ([[gnu::noinline]]): inlined,
  // its locals would make each of those frames, and the worst-case stack at
  // kMaxDepth, several times larger.

  // Records the height of a finished inner node and bounds it.
  [[gnu::noinline]] ExprPtr Finish(ExprPtr node) {
    int height = 1;
    ForEachOperand(*node,
                   [&](const Expr *operand) { height = std::max(height, 1 + Height(operand)); });
    if (height > kMaxDepth) FailTooDeep(node->pos);
    heights_[node.get()] = height;
    return node;
  }

  int Height(const Expr *expr) const {
    auto it = heights_.find(expr);
    return it == heights_.end() ? 1 : it->second;  // leaves are not recorded
  }

  static ExprPtr NewExpr(ExprKind kind, SourcePos pos) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->pos = pos;
    return expr;
  }

  // `op` is a C string so that callers in recursive rules keep no temporary.
  [[gnu::noinline]] ExprPtr MakeUnary(const char *op, SourcePos pos, ExprPtr operand) {
    ExprPtr node = NewExpr(ExprKind::kUnary, pos);
    node->op = op;
    node->args.push_back(std::move(operand));
    return Finish(std::move(node));
  }

  [[gnu::noinline]] ExprPtr MakeBinary(const char *op, SourcePos pos, ExprPtr left, ExprPtr right) {
    ExprPtr node = NewExpr(ExprKind::kBinary, pos);
    node->op = op;
    node->args.push_back(std::move(left));
    node->args.push_back(std::move(right));
    return Finish(std::move(node));
  }

  // select-list := expr [[AS] name] {',' expr [[AS] name]}: the names are
  // those of the query's output columns (Stmt::select_aliases), which
  // ORDER BY may use.
  void ParseSelectList(Stmt *stmt) {
    ParseDistinct(stmt);
    do {
      stmt->select_list.push_back(ParseExpr());
      std::string alias;
      if (AcceptKeyword("as")) {
        SourcePos pos;
        alias = ExpectName(&pos);
      } else if (IsName(Peek()) && !(Peek().kind == TokenKind::kIdentifier &&
                                     Contains(kNotBareLabels, Peek().text))) {
        alias = Next().text;  // SELECT a.c2 total: a bare column label, as PostgreSQL takes
      }
      stmt->select_aliases.push_back(alias);
    } while (AcceptOp(","));
  }

  // [ALL | DISTINCT [ON '(' expr {',' expr} ')']] at the start of a select list.
  void ParseDistinct(Stmt *stmt) {
    if (AcceptKeyword("all")) return;
    if (!AcceptKeyword("distinct")) return;
    if (!AcceptKeyword("on")) {
      stmt->distinct = true;
      return;
    }
    ExpectOp("(");
    do {
      SortItem item;
      item.pos = Peek().pos;
      item.expr = ParseExpr();
      stmt->distinct_on.push_back(std::move(item));
    } while (AcceptOp(","));
    ExpectOp(")");
  }

  // expr {',' expr}
  std::vector<ExprPtr> ParseExprList() {
    std::vector<ExprPtr> list;
    do {
      list.push_back(ParseExpr());
    } while (AcceptOp(","));
    return list;
  }

  // expr := or_expr. Every nested expression (parentheses, arguments) comes
  // back here, so this is where parenthesis nesting is counted.
  ExprPtr ParseExpr() {
    DepthGuard guard(this, Peek());
    return ParseOr();
  }

  // A left-associative level: operand {op operand}, op among `ops`.
  template <size_t N>
  ExprPtr ParseLeftAssociative(const char *const (&ops)[N], ExprRule operand) {
    ExprPtr left = (this->*operand)();
    for (;;) {
      const char *op = MatchOperator(ops);
      if (op == nullptr) return left;
      SourcePos pos = Next().pos;
      left = MakeBinary(op, pos, std::move(left), (this->*operand)());
    }
  }

  template <size_t N>
  const char *MatchOperator(const char *const (&ops)[N]) const {
    for (const char *op : ops) {
      if (IsOperator(Peek(), op)) return op;
    }
    return nullptr;
  }

  // or_expr := and_expr {OR and_expr}
  ExprPtr ParseOr() {
    static const char *const kOps[] = {"or"};
    return ParseLeftAssociative(kOps, &Parser::ParseAnd);
  }

  // and_expr := not_expr {AND not_expr}
  ExprPtr ParseAnd() {
    static const char *const kOps[] = {"and"};
    return ParseLeftAssociative(kOps, &Parser::ParseNot);
  }

  // not_expr := NOT not_expr | is_expr
  ExprPtr ParseNot() {
    if (!IsKeyword(Peek(), "not")) return ParseIsNull();
    const Token &op = Next();
    DepthGuard guard(this, op);
    return MakeUnary("not", op.pos, ParseNot());
  }

  // is_expr := comparison [IS [NOT] {NULL | TRUE | FALSE | UNKNOWN
  //   | DISTINCT FROM comparison}]   (non-associative, as in PostgreSQL)
  ExprPtr ParseIsNull() {
    ExprPtr operand = ParseComparison();
    if (!IsKeyword(Peek(), "is")) return operand;
    return ParseIsTail(std::move(operand));
  }

  // IS [NOT] ..., after its operand. IS DISTINCT FROM holds the equality
  // of its operands (ExprKind::kIsDistinct).
  [[gnu::noinline]] ExprPtr ParseIsTail(ExprPtr operand) {
    SourcePos pos = Next().pos;
    bool negated = AcceptKeyword("not");
    if (AcceptKeyword("distinct")) {
      ExpectKeyword("from");
      ExprPtr node = NewExpr(ExprKind::kIsDistinct, pos);
      node->negated = negated;
      node->args.push_back(MakeBinary("=", pos, std::move(operand), ParseComparison()));
      return Finish(std::move(node));
    }
    ExprPtr node = NewExpr(ExprKind::kIsNull, pos);
    node->negated = negated;
    for (const char *truth : {"true", "false", "unknown"})
      if (node->op.empty() && AcceptKeyword(truth)) node->op = truth;
    if (node->op.empty()) ExpectKeyword("null");
    node->args.push_back(std::move(operand));
    return Finish(std::move(node));
  }

  // comparison := predicate [cmp_op predicate]   (non-associative: a < b < c is an error)
  ExprPtr ParseComparison() {
    static const char *const kOps[] = {"=", "<>", "!=", "<", "<=", ">", ">="};
    ExprPtr left = ParsePredicate();
    const char *op = MatchOperator(kOps);
    if (op == nullptr) return left;
    SourcePos pos = Next().pos;
    const char *name = std::strcmp(op, "!=") == 0 ? "<>" : op;
    ExprPtr node = IsQuantifier(Peek()) && IsOp(Peek(1), "(")
                       ? ParseQuantifiedTail(name, std::move(left))
                       : MakeBinary(name, pos, std::move(left), ParsePredicate());
    if (MatchOperator(kOps) != nullptr) SyntaxError(Peek());
    return node;
  }

  static bool IsQuantifier(const Token &token) {
    return token.kind == TokenKind::kIdentifier &&
           (token.text == "any" || token.text == "some" || token.text == "all");
  }

  // x op ANY | SOME | ALL '(' subquery ')': ANY is an IN subquery whose
  // rows are compared by `op`; ALL is NOT ANY of the opposite comparison,
  // which keeps PostgreSQL's NULL rules (true when every row's comparison
  // is, NULL when none is false but one is NULL).
  [[gnu::noinline]] ExprPtr ParseQuantifiedTail(const char *op, ExprPtr operand) {
    const Token &quantifier = Next();
    bool all = quantifier.text == "all";
    if (!IsKeyword(Peek(1), "select"))
      Fail(quantifier.pos,
           "ANY, SOME and ALL of an array are not supported in natively compiled routines",
           "Write x IN (list), or compare with a subquery: x = ANY (SELECT ...).",
           kFeatureNotSupported);
    ExpectOp("(");
    ExprPtr in = NewExpr(ExprKind::kInSubquery, quantifier.pos);
    in->args.push_back(std::move(operand));
    in->op = all ? OppositeComparison(op) : op;
    in->negated = all;
    in->query = ParseSubquery(all ? "ALL" : "ANY");
    ExpectOp(")");
    return FinishSubquery(std::move(in));
  }

  static const char *OppositeComparison(const std::string &op) {
    static const char *const kPairs[][2] = {{"=", "<>"}, {"<>", "="}, {"<", ">="},
                                            {">=", "<"}, {">", "<="}, {"<=", ">"}};
    for (const auto &pair : kPairs)
      if (op == pair[0]) return pair[1];
    return "=";
  }

  // predicate := concat [[NOT] IN '(' (subquery | expr {',' expr}) ')'
  //            | [NOT] BETWEEN concat AND concat | [NOT] (LIKE | ILIKE) concat]
  // Above the comparisons, as in PostgreSQL: a = b IN (...) is a = (b IN (...)).
  ExprPtr ParsePredicate() {
    ExprPtr operand = ParseConcat();
    bool negated = IsKeyword(Peek(), "not");
    const Token &word = Peek(negated ? 1 : 0);
    if (!IsKeyword(word, "in") && !IsKeyword(word, "between") && !IsKeyword(word, "like") &&
        !IsKeyword(word, "ilike"))
      return operand;
    return ParsePredicateTail(std::move(operand));
  }

  // IN, BETWEEN or LIKE after its operand; NOT makes a NOT around it.
  [[gnu::noinline]] ExprPtr ParsePredicateTail(ExprPtr operand) {
    DepthGuard guard(this, Peek());
    bool negated = AcceptKeyword("not");
    const Token &word = Next();
    ExprPtr node;
    if (IsKeyword(word, "in"))
      node = ParseInTail(std::move(operand), word.pos);
    else if (IsKeyword(word, "between"))
      node = ParseBetweenTail(std::move(operand), word.pos);
    else
      node = ParseLikeTail(std::move(operand), word);
    if (negated) node = MakeUnary("not", word.pos, std::move(node));
    return node;
  }

  // LIKE / ILIKE pattern [ESCAPE escape]: the operators ~~ and ~~*
  // (PostgreSQL's names); as PostgreSQL's grammar, ESCAPE makes the pattern
  // like_escape(pattern, escape).
  ExprPtr ParseLikeTail(ExprPtr operand, const Token &word) {
    ExprPtr pattern = ParseConcat();
    if (IsKeyword(Peek(), "escape")) {
      ExprPtr call = NewExpr(ExprKind::kCall, Next().pos);
      call->op = "like_escape";
      call->args.push_back(std::move(pattern));
      call->args.push_back(ParseConcat());
      pattern = Finish(std::move(call));
    }
    return MakeBinary(IsKeyword(word, "like") ? "~~" : "~~*", word.pos, std::move(operand),
                      std::move(pattern));
  }

  [[gnu::noinline]] ExprPtr MakeLet(SourcePos pos, ExprPtr operand, ExprPtr body) {
    ExprPtr let = NewExpr(ExprKind::kLet, pos);
    let->args.push_back(std::move(operand));
    let->args.push_back(std::move(body));
    return Finish(std::move(let));
  }

  // IN '(' subquery ')' or IN '(' expr {',' expr} ')': a list becomes
  // $let = e1 OR $let = e2 ..., ORed as a balanced tree (a long list stays
  // shallow) that still tests its items left to right.
  ExprPtr ParseInTail(ExprPtr operand, SourcePos pos) {
    ExpectOp("(");
    if (IsKeyword(Peek(), "select")) {
      ExprPtr in = NewExpr(ExprKind::kInSubquery, pos);
      in->args.push_back(std::move(operand));
      in->query = ParseSubquery("IN");
      ExpectOp(")");
      return FinishSubquery(std::move(in));
    }
    std::vector<ExprPtr> tests;
    for (ExprPtr &item : ParseExprList()) {
      SourcePos item_pos = item->pos;  // read before the argument is moved from
      tests.push_back(MakeBinary("=", item_pos, LetReference(pos), std::move(item)));
    }
    ExpectOp(")");
    return MakeLet(pos, std::move(operand), EitherOf(&tests, 0, tests.size()));
  }

  ExprPtr EitherOf(std::vector<ExprPtr> *tests, size_t begin, size_t end) {
    if (end - begin == 1) return std::move((*tests)[begin]);
    size_t middle = begin + (end - begin) / 2;
    ExprPtr left = EitherOf(tests, begin, middle);
    SourcePos pos = left->pos;
    return MakeBinary("or", pos, std::move(left), EitherOf(tests, middle, end));
  }

  // BETWEEN [ASYMMETRIC] low AND high: $let >= low AND $let <= high.
  // BETWEEN SYMMETRIC low AND high: that, OR the same with the bounds
  // swapped, as PostgreSQL expands it (each bound written twice).
  ExprPtr ParseBetweenTail(ExprPtr operand, SourcePos pos) {
    bool symmetric = AcceptKeyword("symmetric");
    if (!symmetric) AcceptKeyword("asymmetric");
    ExprPtr low = ParseConcat();
    ExpectKeyword("and");
    ExprPtr high = ParseConcat();
    if (!symmetric)
      return MakeLet(pos, std::move(operand), Within(pos, std::move(low), std::move(high)));
    for (const Expr *bound : {low.get(), high.get()})
      if (HasSubquery(bound))
        Fail(bound->pos, "subqueries are not supported in the bounds of BETWEEN SYMMETRIC",
             "Compute the bound into a variable first.", kFeatureNotSupported);
    ExprPtr swapped = Within(pos, CloneExpr(*high), CloneExpr(*low));
    return MakeLet(
        pos, std::move(operand),
        MakeBinary("or", pos, Within(pos, std::move(low), std::move(high)), std::move(swapped)));
  }

  ExprPtr Within(SourcePos pos, ExprPtr low, ExprPtr high) {
    ExprPtr above = MakeBinary(">=", pos, LetReference(pos), std::move(low));
    ExprPtr below = MakeBinary("<=", pos, LetReference(pos), std::move(high));
    return MakeBinary("and", pos, std::move(above), std::move(below));
  }

  // concat := additive {'||' additive}
  ExprPtr ParseConcat() {
    static const char *const kOps[] = {"||"};
    return ParseLeftAssociative(kOps, &Parser::ParseAdditive);
  }

  // additive := multiplicative {('+' | '-') multiplicative}
  ExprPtr ParseAdditive() {
    static const char *const kOps[] = {"+", "-"};
    return ParseLeftAssociative(kOps, &Parser::ParseMultiplicative);
  }

  // multiplicative := exponent {('*' | '/' | '%') exponent}
  ExprPtr ParseMultiplicative() {
    static const char *const kOps[] = {"*", "/", "%"};
    return ParseLeftAssociative(kOps, &Parser::ParseExponent);
  }

  // exponent := unary {'^' unary}: left-associative, below unary minus, as
  // in PostgreSQL's grammar (-2 ^ 2 is 4, 2 ^ 3 ^ 2 is 64).
  ExprPtr ParseExponent() {
    static const char *const kOps[] = {"^"};
    return ParseLeftAssociative(kOps, &Parser::ParseUnary);
  }

  // unary := ('-' | '+') unary | cast
  ExprPtr ParseUnary() {
    if (!IsOp(Peek(), "-") && !IsOp(Peek(), "+")) return ParseCast();
    const Token &op = Next();
    DepthGuard guard(this, op);
    return MakeUnary(op.text.c_str(), op.pos, ParseUnary());
  }

  // cast := primary {'::' type}
  ExprPtr ParseCast() {
    ExprPtr expr = ParsePrimary();
    while (IsOp(Peek(), "::")) expr = ParseCastTail(std::move(expr));
    return expr;
  }

  // '::' type, after its operand.
  [[gnu::noinline]] ExprPtr ParseCastTail(ExprPtr operand) {
    ExprPtr node = NewExpr(ExprKind::kCast, Next().pos);
    node->cast_type = ParseTypeName(/*any_words=*/false);
    node->args.push_back(std::move(operand));
    return Finish(std::move(node));
  }

  // primary := literal | TRUE | FALSE | NULL | name ['.' name] | call
  //          | CAST '(' expr AS type ')' | '(' expr ')'
  ExprPtr ParsePrimary() {
    const Token &token = Peek();
    switch (token.kind) {
      case TokenKind::kInteger:
        return ParseLiteral(ExprKind::kInt);
      case TokenKind::kNumeric:
        return ParseLiteral(ExprKind::kFloat);
      case TokenKind::kString:
        return ParseLiteral(ExprKind::kString);
      case TokenKind::kQuotedIdentifier:
        return ParseNameOrCall();
      case TokenKind::kIdentifier:
        return ParseWordPrimary();
      case TokenKind::kOperator:
        if (IsOp(token, "(")) return ParseParenthesized();
        break;
      case TokenKind::kEnd:
        break;
    }
    SyntaxError(token);
  }

  // A primary that starts with an unquoted word.
  ExprPtr ParseWordPrimary() {
    const Token &token = Peek();
    if (IsKeyword(token, "true") || IsKeyword(token, "false")) {
      return ParseLiteral(ExprKind::kBool);
    }
    if (IsKeyword(token, "null")) return ParseLiteral(ExprKind::kNull);
    if (IsKeyword(token, "default")) return ParseLiteral(ExprKind::kDefault);
    if (IsKeyword(token, "cast") && IsOp(Peek(1), "(")) return ParseCastCall();
    if (IsKeyword(token, "case")) return ParseCaseExpression();
    if (IsKeyword(token, "exists") && IsOp(Peek(1), "(")) return ParseExists();
    if (IsReserved(token)) SyntaxError(token);
    return ParseNameOrCall();
  }

  // CASE [selector] WHEN expr THEN expr {WHEN ...} [ELSE expr] END
  [[gnu::noinline]] ExprPtr ParseCaseExpression() {
    ExprPtr expr = NewExpr(ExprKind::kCase, Next().pos);
    ExprPtr selector;
    if (!IsKeyword(Peek(), "when")) selector = ParseExpr();
    ExpectKeyword("when");
    do {
      expr->args.push_back(ParseWhenCondition(selector.get(), /*allow_list=*/false));
      ExpectKeyword("then");
      expr->args.push_back(ParseExpr());
    } while (AcceptKeyword("when"));
    if (AcceptKeyword("else")) {
      expr->args.push_back(ParseExpr());
      expr->has_else = true;
    }
    ExpectKeyword("end");
    return Finish(std::move(expr));
  }

  // EXISTS '(' SELECT ('*' | expr {',' expr}) FROM from-list [WHERE expr] ')'
  [[gnu::noinline]] ExprPtr ParseExists() {
    ExprPtr expr = NewExpr(ExprKind::kExists, Next().pos);
    ExpectOp("(");
    expr->query = ParseSubquery(nullptr);
    expr->query->distinct = false;  // the same rows exist either way
    expr->query->distinct_on.clear();
    const Stmt *query = expr->query.get();
    if (!query->group_by.empty() || query->having || !query->order_by.empty() || query->limit ||
        query->offset)
      Fail(query->pos,
           "EXISTS subqueries in natively compiled routines take only FROM and WHERE clauses",
           "Leave out GROUP BY, HAVING, ORDER BY, LIMIT and OFFSET: EXISTS stops at the first "
           "row.",
           kFeatureNotSupported);
    ExpectOp(")");
    return FinishSubquery(std::move(expr));
  }

  // '(' SELECT expr query-clauses ')': a subquery used as a value.
  [[gnu::noinline]] ExprPtr ParseScalarSubquery() {
    ExprPtr expr = NewExpr(ExprKind::kScalarSubquery, Next().pos);
    expr->query = ParseSubquery("scalar");
    ExpectOp(")");
    return FinishSubquery(std::move(expr));
  }

  // SELECT select-list query-clauses, inside a subquery's parentheses.
  // `star_refused_in` names the subqueries that need their one value named
  // ("scalar", "IN"); nullptr for EXISTS and subqueries in FROM, which take
  // SELECT *.
  StmtPtr ParseSubquery(const char *star_refused_in) {
    if (!IsKeyword(Peek(), "select")) SyntaxError(Peek());
    StmtPtr query = NewStmt(StmtKind::kSubquery, Next());
    ParseDistinct(query.get());
    if (IsOp(Peek(), "*") && star_refused_in != nullptr)
      Fail(Peek().pos,
           std::string("SELECT * is not supported in ") + star_refused_in +
               " subqueries of natively compiled routines",
           "Name the one column the subquery returns.", kFeatureNotSupported);
    if (IsOp(Peek(), "*")) {
      query->select_star = Next().pos;
    } else {
      ParseSelectList(query.get());
    }
    ParseQueryClauses(query.get());
    return query;
  }

  // Records a subquery node's height: its own expressions' and its query's.
  [[gnu::noinline]] ExprPtr FinishSubquery(ExprPtr expr) {
    int height = 1 + QueryHeight(*expr->query);
    for (const ExprPtr &arg : expr->args) height = std::max(height, 1 + Height(arg.get()));
    if (height > kMaxDepth) FailTooDeep(expr->pos);
    heights_[expr.get()] = height;
    return expr;
  }

  // The height of a query's tallest expression or subquery in FROM.
  int QueryHeight(const Stmt &query) const {
    int height = 0;
    ForEachQueryExpression(query, [&](const Expr *e) { height = std::max(height, Height(e)); });
    for (const TableRef &ref : query.from)
      if (ref.query) height = std::max(height, from_heights_.at(ref.query.get()));
    return height;
  }

  [[gnu::noinline]] ExprPtr ParseLiteral(ExprKind kind) {
    const Token &token = Next();
    ExprPtr expr = NewExpr(kind, token.pos);
    expr->text = token.text;
    return expr;
  }

  // '(' expr ')'
  ExprPtr ParseParenthesized() {
    if (IsKeyword(Peek(1), "select")) return ParseScalarSubquery();
    Next();
    ExprPtr expr = ParseExpr();
    ExpectOp(")");
    return expr;
  }

  // name ['.' name] | name '(' [expr {',' expr}] ')'
  [[gnu::noinline]] ExprPtr ParseNameOrCall() {
    const Token &first = Next();
    if (first.kind == TokenKind::kIdentifier && first.text == "nullif" && AcceptOp("("))
      return ParseNullIfTail(first.pos);
    if (first.kind == TokenKind::kIdentifier && first.text == "extract" && AcceptOp("("))
      return ParseExtractTail(first.pos);
    if (first.kind == TokenKind::kIdentifier && first.text == "position" && AcceptOp("("))
      return ParsePositionTail(first.pos);
    if (first.kind == TokenKind::kIdentifier && Contains(kTypedLiteralWords, first.text)) {
      size_t words = 0;  // double precision '1.5': the words of a multi-word type name
      while (Peek(words).kind == TokenKind::kIdentifier &&
             Contains(kCastTypeContinuations, Peek(words).text))
        ++words;
      if (Peek(words).kind == TokenKind::kString)  // date '2024-01-01': CAST('...' AS date)
        return ParseTypedLiteral(first, words);
    }
    if (AcceptOp("(")) {
      ExprPtr call = NewExpr(ExprKind::kCall, first.pos);
      call->op = first.text;
      if (first.text == "count" && AcceptOp("*")) {  // count(*)
        call->text = "*";
        ExpectOp(")");
      } else if (!AcceptOp(")")) {
        if (AcceptKeyword("distinct"))  // count(DISTINCT x); the binder refuses it elsewhere
          call->distinct = true;
        else
          AcceptKeyword("all");  // count(ALL x): every input, as without the word
        call->args = ParseExprList();
        if (AcceptKeyword("order"))  // string_agg(x, ',' ORDER BY y): the binder checks
          call->order_by = ParseOrderBy();
        ExpectOp(")");
      }
      return Finish(std::move(call));
    }
    ExprPtr name = NewExpr(ExprKind::kName, first.pos);
    name->parts.push_back(first.text);
    if (AcceptOp(".")) {
      // After a qualifier any word is a column name, even a reserved one.
      const Token &second = Peek();
      if (second.kind != TokenKind::kIdentifier && second.kind != TokenKind::kQuotedIdentifier) {
        SyntaxError(second);
      }
      name->parts.push_back(Next().text);
    }
    return name;
  }

  // NULLIF '(' a ',' b ')' (after the parenthesis): CASE WHEN $let = b THEN
  // NULL ELSE $let END with $let holding a, computed once.
  // The rest of `first {word} 'string'`, a constant of the type those words name.
  [[gnu::noinline]] ExprPtr ParseTypedLiteral(const Token &first, size_t words) {
    ExprPtr node = NewExpr(ExprKind::kCast, first.pos);
    node->cast_type.name = first.text;
    node->cast_type.pos = first.pos;
    for (size_t i = 0; i < words; ++i) node->cast_type.name += " " + Next().text;
    node->args.push_back(ParseLiteral(ExprKind::kString));
    return Finish(std::move(node));
  }

  // EXTRACT '(' field FROM expr ')': extract('field', expr), as PostgreSQL's
  // grammar writes it.
  [[gnu::noinline]] ExprPtr ParseExtractTail(SourcePos pos) {
    const Token &field = Next();
    if (field.kind != TokenKind::kIdentifier && field.kind != TokenKind::kString &&
        field.kind != TokenKind::kQuotedIdentifier)
      SyntaxError(field);
    ExprPtr call = NewExpr(ExprKind::kCall, pos);
    call->op = "extract";
    ExprPtr name = NewExpr(ExprKind::kString, field.pos);
    name->text = field.text;
    call->args.push_back(Finish(std::move(name)));
    ExpectKeyword("from");
    call->args.push_back(ParseExpr());
    ExpectOp(")");
    return Finish(std::move(call));
  }

  // POSITION '(' substring IN string ')': strpos(string, substring).
  [[gnu::noinline]] ExprPtr ParsePositionTail(SourcePos pos) {
    ExprPtr substring = ParseConcat();
    ExpectKeyword("in");
    ExprPtr string = ParseConcat();
    ExpectOp(")");
    ExprPtr call = NewExpr(ExprKind::kCall, pos);
    call->op = "strpos";
    call->args.push_back(std::move(string));
    call->args.push_back(std::move(substring));
    return Finish(std::move(call));
  }

  [[gnu::noinline]] ExprPtr ParseNullIfTail(SourcePos pos) {
    ExprPtr value = ParseExpr();
    ExpectOp(",");
    ExprPtr other = ParseExpr();
    ExpectOp(")");
    ExprPtr test = NewExpr(ExprKind::kCase, pos);
    test->args.push_back(MakeBinary("=", pos, LetReference(pos), std::move(other)));
    test->args.push_back(NewExpr(ExprKind::kNull, pos));
    test->args.push_back(LetReference(pos));
    test->has_else = true;
    test->op = "nullif";  // its result takes the comparison's operand type (BindCase)
    return MakeLet(pos, std::move(value), Finish(std::move(test)));
  }

  // CAST '(' expr AS type ')'
  [[gnu::noinline]] ExprPtr ParseCastCall() {
    ExprPtr node = NewExpr(ExprKind::kCast, Next().pos);
    ExpectOp("(");
    node->args.push_back(ParseExpr());
    ExpectKeyword("as");
    node->cast_type = ParseTypeName(/*any_words=*/false);
    ExpectOp(")");
    return Finish(std::move(node));
  }

  std::vector<Token> tokens_;
  size_t next_ = 0;
  int depth_ = 0;
  std::string pending_label_;                      // <<label>> of the loop or block being parsed
  std::unordered_map<const Expr *, int> heights_;  // inner nodes only
  std::unordered_map<const Stmt *, int> from_heights_;  // subqueries in FROM
};

void SetError(SourceError *error, const char *sqlstate, const char *message) {
  *error = SourceError();
  try {
    error->sqlstate = sqlstate;
    error->message = message;
  } catch (...) {
    // Out of memory again: leave the message empty rather than throw.
  }
}

}  // namespace

bool Parse(const std::string &source, Body *body, SourceError *error) {
  try {
    std::vector<Token> tokens;
    if (!Tokenize(source, &tokens, error)) return false;
    Body result;
    Parser(std::move(tokens)).ParseBody(&result);
    *body = std::move(result);
    return true;
  } catch (ParseFailure &failure) {
    *error = std::move(failure.error);
  } catch (const std::bad_alloc &) {
    SetError(error, "53200", "out of memory");
  } catch (...) {
    SetError(error, "XX000", "internal error while parsing a natively compiled routine");
  }
  return false;
}

}  // namespace native
}  // namespace memopt
