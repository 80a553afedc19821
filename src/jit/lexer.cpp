// lexer.cpp - tokenizer of LANGUAGE native_compilation bodies (see lexer.h).
//
// Follows PostgreSQL's scanner where the languages overlap: -- and nested
// /* */ comments, '' inside strings, "" inside quoted identifiers, ASCII-only
// down-casing, and PostgreSQL 15's rejection of junk glued to a number.
#include "lexer.h"

#include <cstring>

namespace memopt {
namespace native {

namespace {

// Two-character operators, tried before the one-character ones.
const char *const kTwoCharOperators[] = {
    "..", ":=", "<>", "!=", "<=", ">=", "||", "::", "<<", ">>"};
// [ and ] only so that the parser can name what uses them (arrays are refused).
const char kOneCharOperators[] = "(),;.=<>+-*/%^[]";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Bytes >= 0x80 may appear in identifiers, as in PostgreSQL (UTF-8 letters).
bool IsHighBit(char c) { return (static_cast<unsigned char>(c) & 0x80) != 0; }

bool IsIdentStart(char c) { return IsAsciiLetter(c) || c == '_' || IsHighBit(c); }

bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '$'; }

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Thrown inside the lexer only; Tokenize turns it into a SourceError.
struct LexFailure {
  SourceError error;
};

class Lexer {
 public:
  explicit Lexer(const std::string &source) : src_(source) {}

  void Run(std::vector<Token> *tokens) {
    for (;;) {
      SkipSpaceAndComments();
      Token token;
      token.pos = pos_;
      if (AtEnd()) {
        tokens->push_back(std::move(token));
        return;
      }
      size_t start = i_;
      LexToken(&token);
      token.raw = src_.substr(start, i_ - start);
      tokens->push_back(std::move(token));
    }
  }

 private:
  bool AtEnd() const { return i_ >= src_.size(); }
  char Peek(size_t ahead = 0) const { return i_ + ahead < src_.size() ? src_[i_ + ahead] : '\0'; }
  bool Has(size_t ahead) const { return i_ + ahead < src_.size(); }

  // Moves over n bytes, keeping the line and (code point) column current.
  void Advance(size_t n = 1) {
    for (; n > 0 && i_ < src_.size(); --n, ++i_) {
      unsigned char c = static_cast<unsigned char>(src_[i_]);
      if (c == '\n') {
        pos_.line++;
        pos_.column = 1;
      } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
        pos_.column++;
      }
    }
  }

  [[noreturn]] void Fail(SourcePos pos, std::string message) {
    LexFailure failure;
    failure.error.pos = pos;
    failure.error.message = std::move(message);
    throw failure;
  }

  void SkipSpaceAndComments() {
    for (;;) {
      if (IsSpace(Peek()) && !AtEnd()) {
        Advance();
      } else if (Peek() == '-' && Peek(1) == '-') {
        while (!AtEnd() && Peek() != '\n') Advance();
      } else if (Peek() == '/' && Peek(1) == '*') {
        SkipBlockComment();
      } else {
        return;
      }
    }
  }

  // /* ... */ nests, as in PostgreSQL, so commenting out code that already
  // holds a comment works.
  void SkipBlockComment() {
    SourcePos start = pos_;
    int depth = 0;
    do {
      if (AtEnd()) Fail(start, "unterminated /* comment");
      if (Peek() == '/' && Peek(1) == '*') {
        depth++;
        Advance(2);
      } else if (Peek() == '*' && Peek(1) == '/') {
        depth--;
        Advance(2);
      } else {
        Advance();
      }
    } while (depth > 0);
  }

  void LexToken(Token *token) {
    char c = Peek();
    if ((c == 'n' || c == 'N') && Peek(1) == '\'') {
      Advance();  // N'...': a national character literal is just a string here
      LexString(token);
    } else if (IsIdentStart(c)) {
      LexIdentifier(token);
    } else if (c == '"') {
      LexQuotedIdentifier(token);
    } else if (c == '\'') {
      LexString(token);
    } else if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) {
      LexNumber(token);
    } else {
      LexOperator(token);
    }
  }

  void LexIdentifier(Token *token) {
    token->kind = TokenKind::kIdentifier;
    while (!AtEnd() && IsIdentChar(Peek())) {
      token->text += ToLowerAscii(Peek());
      Advance();
    }
  }

  // Reads up to the closing `quote`; a doubled quote stands for one.
  std::string ReadQuoted(char quote, const char *unterminated) {
    SourcePos start = pos_;
    Advance();  // opening quote
    std::string value;
    for (;;) {
      if (AtEnd()) Fail(start, unterminated);
      if (Peek() == quote) {
        if (Peek(1) != quote) break;
        Advance();
      }
      value += Peek();
      Advance();
    }
    Advance();  // closing quote
    return value;
  }

  void LexQuotedIdentifier(Token *token) {
    SourcePos start = pos_;
    token->kind = TokenKind::kQuotedIdentifier;
    token->text = ReadQuoted('"', "unterminated quoted identifier");
    if (token->text.empty()) Fail(start, "zero-length delimited identifier");
  }

  void LexString(Token *token) {
    token->kind = TokenKind::kString;
    token->text = ReadQuoted('\'', "unterminated quoted string");
  }

  void LexDigits() {
    while (IsDigit(Peek())) Advance();
  }

  // 12, 1.5, 1., .5, 2e3, 1.5E-3. "1..10" is 1 then "..": a '.' followed by
  // another '.' is left for the range operator of FOR.
  void LexNumber(Token *token) {
    size_t start = i_;
    SourcePos start_pos = pos_;
    token->kind = TokenKind::kInteger;
    LexDigits();
    if (Peek() == '.' && Peek(1) != '.') {
      token->kind = TokenKind::kNumeric;
      Advance();
      LexDigits();
    }
    if (AtExponent()) {
      token->kind = TokenKind::kNumeric;
      Advance((Peek(1) == '+' || Peek(1) == '-') ? 2 : 1);
      LexDigits();
    }
    token->text = src_.substr(start, i_ - start);
    if (IsIdentChar(Peek())) {
      while (!AtEnd() && IsIdentChar(Peek())) Advance();
      Fail(start_pos, "trailing junk after numeric literal at or near \"" +
                          src_.substr(start, i_ - start) + "\"");
    }
  }

  bool AtExponent() const {
    if (Peek() != 'e' && Peek() != 'E') return false;
    if (IsDigit(Peek(1))) return true;
    return (Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2));
  }

  void LexOperator(Token *token) {
    token->kind = TokenKind::kOperator;
    if (Has(1)) {
      for (const char *op : kTwoCharOperators) {
        if (Peek() == op[0] && Peek(1) == op[1]) {
          token->text = op;
          Advance(2);
          return;
        }
      }
    }
    char c = Peek();
    if (c != '\0' && std::strchr(kOneCharOperators, c) != nullptr) {
      token->text = std::string(1, c);
      Advance();
      return;
    }
    Fail(pos_, "syntax error at or near \"" + CurrentCharacter() + "\"");
  }

  // The whole UTF-8 sequence at the cursor (at most 4 bytes), for messages.
  std::string CurrentCharacter() const {
    size_t n = 1;
    while (n < 4 && Has(n) && (static_cast<unsigned char>(src_[i_ + n]) & 0xC0) == 0x80) n++;
    if (!IsHighBit(Peek())) n = 1;
    return src_.substr(i_, n);
  }

  const std::string &src_;
  size_t i_ = 0;
  SourcePos pos_{1, 1};
};

}  // namespace

bool Tokenize(const std::string &source, std::vector<Token> *tokens, SourceError *error) {
  tokens->clear();
  try {
    Lexer(source).Run(tokens);
    return true;
  } catch (LexFailure &failure) {
    *error = std::move(failure.error);
    tokens->clear();
    return false;
  }
}

}  // namespace native
}  // namespace memopt
