#pragma once
// Helpers shared by the typed-instruction tests (tests/unit/parser/instructions_*_test.cpp):
// parse a Dockerfile text into instructions, and catch the parse error it raises.

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "parser/ast.hpp"
#include "parser/instructions.hpp"

namespace strata::parser::instructions_test {

inline std::vector<Instruction> parse(std::string_view text) {
  return to_instructions(parse_dockerfile(text));
}

// The last instruction of `text`.
inline Instruction last(std::string_view text) { return parse(text).back(); }

// "Dockerfile:L:C: message" of the error `text` raises, or "no error".
inline std::string error_of(std::string_view text) {
  try {
    const auto ins = parse(text);
    return "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::parse);
    return e.what();
  }
}

inline Error caught(std::string_view text) {
  try {
    const auto ins = parse(text);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text;
  return Error(ErrorKind::internal, "none");
}

} // namespace strata::parser::instructions_test
