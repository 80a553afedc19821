// parser.h - source text of a LANGUAGE native_compilation body -> syntax tree.
//
// Recursive descent over the tokens of lexer.h. The grammar is a PL/pgSQL-like
// subset (docs/native-compilation.md lists it); anything outside it is an
// error at the token where it starts, never a guess.
#pragma once

#include <string>

#include "ast.h"

namespace memopt {
namespace native {

// Parses `source` (the text between the dollar quotes of CREATE FUNCTION /
// PROCEDURE). On success fills `body` and returns true; otherwise fills
// `error` (position of the offending token) and returns false. Never throws.
bool Parse(const std::string &source, Body *body, SourceError *error);

}  // namespace native
}  // namespace memopt
