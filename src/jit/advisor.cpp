// advisor.cpp - the token-level scan behind memopt.native_advisor (advisor.h).
#include "advisor.h"

#include <algorithm>
#include <map>

#include "binder.h"
#include "lexer.h"

namespace memopt {
namespace native {
namespace {

// Statements the native language does not have, by their first word.
const std::map<std::string, const char *> kUnsupportedStatements = {
    {"execute", "dynamic SQL cannot be compiled"},
    {"open", "cursors are not supported; use FOR ... IN SELECT"},
    {"fetch", "cursors are not supported; use FOR ... IN SELECT"},
    {"close", "cursors are not supported; use FOR ... IN SELECT"},
    {"move", "cursors are not supported; use FOR ... IN SELECT"},
    {"foreach", "arrays are not supported"},
    {"commit", "transaction control is not allowed inside BEGIN ATOMIC"},
    {"rollback", "transaction control is not allowed inside BEGIN ATOMIC"},
    {"call", "only natively compiled procedures can be called"},
    {"assert", "ASSERT is not supported; use IF ... RAISE EXCEPTION"},
};

// Words anywhere in a statement that the native language does not have.
const std::map<std::string, const char *> kUnsupportedClauses = {
    {"union", "UNION is not supported"},
    {"with", "WITH queries are not supported"},
    {"returning", "RETURNING is not supported yet"},
};

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

class Scanner {
 public:
  Scanner(const std::vector<Token> &tokens, std::vector<AdvisorFinding> *findings,
          std::vector<TableMention> *tables)
      : t_(tokens), findings_(*findings), tables_(*tables) {}

  void Run() {
    bool statement_start = true;
    for (size_t i = 0; i + 1 < t_.size(); ++i) {
      if (IsWord(i, "begin")) in_declare_ = false;
      TrackBlocks(i);
      if (IsWord(i)) {
        if (statement_start) StatementStart(i);
        Clause(i);
      }
      if (IsOp(i, "%") && (IsWord(i + 1, "type") || IsWord(i + 1, "rowtype")))
        Add(i, "%" + Upper(t_[i + 1].text), "anchored types (%TYPE, %ROWTYPE) are not supported");
      statement_start = IsOp(i, ";") || IsWord(i, "begin") || IsWord(i, "loop") ||
                        IsWord(i, "then") || IsWord(i, "else") || IsWord(i, "declare");
      if (IsWord(i, "declare")) in_declare_ = true;
    }
  }

 private:
  bool IsWord(size_t i, const char *word = nullptr) const {
    if (i >= t_.size() || t_[i].kind != TokenKind::kIdentifier) return false;
    return word == nullptr || t_[i].text == word;
  }
  bool IsOp(size_t i, const char *op) const {
    return i < t_.size() && t_[i].kind == TokenKind::kOperator && t_[i].text == op;
  }

  // BEGIN and CASE open what END closes (END IF and END LOOP close
  // neither), so that `open_` holds 'b' for each block around token i.
  void TrackBlocks(size_t i) {
    if (IsWord(i, "begin")) open_.push_back('b');
    if (IsWord(i, "case") && !(i > 0 && IsWord(i - 1, "end"))) open_.push_back('c');
    if (IsWord(i, "end") && !IsWord(i + 1, "if") && !IsWord(i + 1, "loop") && !open_.empty())
      open_.pop_back();
  }

  void Add(size_t i, std::string construct, std::string reason) {
    findings_.push_back(AdvisorFinding{t_[i].pos.line, std::move(construct), std::move(reason)});
  }

  void StatementStart(size_t i) {
    const std::string &word = t_[i].text;
    if (in_declare_) {
      Declaration(i);
      return;
    }
    auto it = kUnsupportedStatements.find(word);
    if (it != kUnsupportedStatements.end()) Add(i, Upper(word), it->second);
    if (word == "return" && (IsWord(i + 1, "next") || IsWord(i + 1, "query")))
      Add(i, "RETURN " + Upper(t_[i + 1].text),
          "set-returning functions return rows with SELECT statements without INTO");
    if (word == "get") {
      for (size_t j = i + 1; j < t_.size() && !IsOp(j, ";"); ++j)
        if (IsWord(j, "pg_context")) {
          Add(i, "GET DIAGNOSTICS PG_CONTEXT", "PG_CONTEXT is not supported");
          break;
        }
    }
    if (word == "exception" && std::count(open_.begin(), open_.end(), 'b') == 1)
      Add(i, "EXCEPTION",
          "the outermost block becomes BEGIN ATOMIC, which has no handlers; put its statements "
          "and handlers in a nested BEGIN ... EXCEPTION ... END block");
    if (word == "update") Table(i + 1);
    if (word == "insert" && IsWord(i + 1, "into")) Table(i + 2);
    if (word == "delete" && IsWord(i + 1, "from")) Table(i + 2);
  }

  // name [CONSTANT] type [NOT NULL] [:= | = | DEFAULT ...] ';' in DECLARE.
  void Declaration(size_t i) {
    size_t j = i + 1;
    if (IsWord(j, "constant")) {
      Add(j, "CONSTANT", "CONSTANT variables are not supported; declare a variable");
      ++j;
    }
    if (IsWord(j, "cursor") || IsWord(j, "refcursor") || IsWord(j, "scroll")) {
      Add(j, "CURSOR", "cursors are not supported; use FOR ... IN SELECT");
      return;
    }
    std::string type;
    std::vector<int> modifiers;
    for (; IsWord(j) && !IsWord(j, "not") && !IsWord(j, "default") && !IsWord(j, "collate"); ++j)
      type += (type.empty() ? "" : " ") + t_[j].text;
    if (IsOp(j, "(")) modifiers.push_back(0);
    if (IsOp(j, "%")) return;  // reported as an anchored type
    Type ignored;
    if (!type.empty() && !LookupTypeName(type, modifiers, &ignored))
      Add(i, "DECLARE " + t_[i].text + " " + type + (modifiers.empty() ? "" : "(...)"),
          "type " + type + (modifiers.empty() ? "" : " with a length") +
              " is not supported; use boolean, smallint, integer, bigint, real, double "
              "precision, numeric, text, date, time, timestamp, timestamptz, interval, uuid "
              "or bytea");
  }

  void Clause(size_t i) {
    const std::string &word = t_[i].text;
    auto it = kUnsupportedClauses.find(word);
    if (it != kUnsupportedClauses.end() && !in_declare_) Add(i, Upper(word), it->second);
    if ((word == "right" || word == "full") && (IsWord(i + 1, "join") || IsWord(i + 1, "outer")))
      Add(i, Upper(word) + " JOIN",
          "RIGHT and FULL joins are not supported; write them as a LEFT JOIN or an inner join");
    if (word == "from" && !(i > 0 && IsWord(i - 1, "delete"))) {
      Table(i + 1);
      for (size_t j = i + 2; j < t_.size() && (IsOp(j, ",") || IsOp(j, ".") || IsWord(j)); ++j)
        if (IsOp(j, ",")) Table(j + 1);  // FROM a [x], b [y]: both are read
    }
    if (word == "join") Table(i + 1);
    if ((word == "any" || word == "some" || word == "all") && IsOp(i + 1, "(") &&
        !IsWord(i + 2, "select") && i > 0 && t_[i - 1].kind == TokenKind::kOperator)
      Add(i, Upper(word) + " (array)",
          "ANY, SOME and ALL of an array are not supported; use IN (list) or a subquery");
    if (word == "lateral")
      Add(i, "LATERAL",
          "LATERAL subqueries are not supported; a subquery in FROM cannot read the items "
          "before it");
  }

  void Table(size_t i) {
    if (!IsWord(i) && !(i < t_.size() && t_[i].kind == TokenKind::kQuotedIdentifier)) return;
    TableMention mention;
    mention.line = t_[i].pos.line;
    mention.name.push_back(t_[i].text);
    if (IsOp(i + 1, ".") && i + 2 < t_.size()) mention.name.push_back(t_[i + 2].text);
    tables_.push_back(mention);
  }

  const std::vector<Token> &t_;
  std::vector<AdvisorFinding> &findings_;
  std::vector<TableMention> &tables_;
  bool in_declare_ = false;
  std::string open_;  // 'b' (BEGIN) or 'c' (CASE) per construct END has yet to close
};

}  // namespace

void AdvisePlpgsql(const std::string &source, std::vector<AdvisorFinding> *findings,
                   std::vector<TableMention> *tables) {
  std::vector<Token> tokens;
  SourceError error;
  if (!Tokenize(source, &tokens, &error)) {
    findings->push_back(AdvisorFinding{error.pos.line, "source text",
                                       "the native language cannot read this: " + error.message});
    return;
  }
  Scanner(tokens, findings, tables).Run();
}

}  // namespace native
}  // namespace memopt
