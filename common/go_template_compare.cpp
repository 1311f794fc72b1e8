// eq, ne, lt, le, gt, ge with text/template's rules (funcs.go): basic kinds only, null equal
// only to null. One leniency: integers and floats compare by value, because decoding JSON does
// not keep Go's int/float distinction.

#include "common/go_template_value.hpp"

#include <span>

namespace strata::go_template {

namespace {

using nlohmann::json;

enum class Kind { boolean, number, string, nil, other };

Kind kind_of(const json& j) {
  if (j.is_boolean()) {
    return Kind::boolean;
  }
  if (j.is_number()) {
    return Kind::number;
  }
  if (j.is_string()) {
    return Kind::string;
  }
  return j.is_null() ? Kind::nil : Kind::other;
}

[[noreturn]] void fail(const std::string& message) {
  throw FuncError(FuncError::Kind::call, message);
}

// -1, 0 or 1 for two numbers, exactly for integers of either sign.
int compare_numbers(const json& a, const json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    const bool a_neg = a.is_number_unsigned() ? false : a.get<std::int64_t>() < 0;
    const bool b_neg = b.is_number_unsigned() ? false : b.get<std::int64_t>() < 0;
    if (a_neg != b_neg) {
      return a_neg ? -1 : 1;
    }
    if (a_neg) {
      const auto x = a.get<std::int64_t>();
      const auto y = b.get<std::int64_t>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const auto x = a.get<std::uint64_t>();
    const auto y = b.get<std::uint64_t>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const auto x = a.get<double>();
  const auto y = b.get<double>();
  return x < y ? -1 : x > y ? 1 : 0;
}

bool equal(const json& a, const json& b) {
  const Kind ka = kind_of(a);
  const Kind kb = kind_of(b);
  if (ka == Kind::nil || kb == Kind::nil) {
    return ka == kb;
  }
  if (ka == Kind::other || kb == Kind::other) {
    fail("non-comparable type " + go_type_name(ka == Kind::other ? a : b));
  }
  if (ka != kb) {
    fail("incompatible types for comparison");
  }
  return ka == Kind::number ? compare_numbers(a, b) == 0 : a == b;
}

int order(const json& a, const json& b) {
  const Kind ka = kind_of(a);
  const Kind kb = kind_of(b);
  if (ka != Kind::number && ka != Kind::string) {
    fail("invalid type for comparison");
  }
  if (ka != kb) {
    fail(kb == Kind::number || kb == Kind::string ? "incompatible types for comparison"
                                                  : "invalid type for comparison");
  }
  if (ka == Kind::number) {
    return compare_numbers(a, b);
  }
  const int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

Value boolean(bool b) { return Value::make(json(b)); }

} // namespace

// eq a b c... is true when a equals any of the others.
Value fn_eq(std::span<const Value> a) {
  if (a.size() < 2) {
    fail("missing argument for comparison");
  }
  for (const Value& other : a.subspan(1)) {
    if (equal(a[0].json(), other.json())) {
      return boolean(true);
    }
  }
  return boolean(false);
}

Value fn_ne(std::span<const Value> a) { return boolean(!equal(a[0].json(), a[1].json())); }
Value fn_lt(std::span<const Value> a) { return boolean(order(a[0].json(), a[1].json()) < 0); }
Value fn_le(std::span<const Value> a) { return boolean(order(a[0].json(), a[1].json()) <= 0); }
Value fn_gt(std::span<const Value> a) { return boolean(order(a[0].json(), a[1].json()) > 0); }
Value fn_ge(std::span<const Value> a) { return boolean(order(a[0].json(), a[1].json()) >= 0); }

} // namespace strata::go_template
