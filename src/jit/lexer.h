// lexer.h - tokens of a LANGUAGE native_compilation body.
//
// The lexer turns the whole body into a vector of tokens up front: bodies are
// small, and a vector lets the parser look ahead freely. Keywords are plain
// identifiers (the parser compares their lower-cased text), so adding a
// statement never touches the lexer. No PostgreSQL headers: pure C++17.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ast.h"

namespace memopt {
namespace native {

enum class TokenKind : uint8_t {
  kEnd,               // end of input (always the last token)
  kIdentifier,        // text: lower-cased (ASCII letters only, like PostgreSQL)
  kQuotedIdentifier,  // text: as written between the double quotes, "" undone
  kInteger,           // text: the digits
  kNumeric,           // text: as written ("1.5", ".5", "2e3", "1.5E-3")
  kString,            // text: the value, quotes removed and '' undone
  kOperator,          // text: one of ( ) , ; . .. := = <> != < <= > >= + - * / % || ::
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  std::string raw;  // the source text of the token, for "syntax error at or near"
  SourcePos pos;    // where the token starts
};

// Splits `source` into tokens, ending with one kEnd token. Positions are
// 1-based; columns count characters (UTF-8 code points), not bytes, so they
// match what an editor shows. On a lexical error (unterminated string, quoted
// identifier or comment, an unexpected character, junk after a number) fills
// `error` and returns false. Throws only std::bad_alloc.
//
// Besides '...' strings, N'...' (a national character literal, as in
// Hekaton's LANGUAGE = N'us_english') lexes as a plain string.
bool Tokenize(const std::string &source, std::vector<Token> *tokens, SourceError *error);

}  // namespace native
}  // namespace memopt
