// The functions templates may call. Argument errors use text/template's wording ("wrong type
// for value; expected string; got int"), function errors Go's builtin messages.

#include "common/go_template_funcs.hpp"

#include "common/go_template_ast.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace strata::go_template {

namespace {

using nlohmann::json;

[[noreturn]] void call_error(const std::string& message) {
  throw FuncError(FuncError::Kind::call, message);
}

const std::string& want_string(const Value& value) {
  const json& j = value.json();
  if (j.is_string()) {
    return j.get_ref<const std::string&>();
  }
  if (j.is_null()) {
    throw FuncError(FuncError::Kind::arguments, "invalid value; expected string");
  }
  throw FuncError(FuncError::Kind::arguments,
                  "wrong type for value; expected string; got " + go_type_name(j));
}

// An int argument; integral floats are accepted because JSON numbers lose Go's static types.
std::int64_t want_int(const Value& value) {
  const json& j = value.json();
  if (j.is_number_integer()) {
    return j.get<std::int64_t>();
  }
  if (j.is_number_float() && std::trunc(j.get<double>()) == j.get<double>()) {
    return static_cast<std::int64_t>(j.get<double>());
  }
  throw FuncError(FuncError::Kind::arguments,
                  j.is_null() ? "invalid value; expected int"
                              : "wrong type for value; expected int; got " + go_type_name(j));
}

Value make_string(std::string text) { return Value::make(json(std::move(text))); }

Value fn_json(std::span<const Value> a) { return make_string(go_json(a[0].json())); }

// strings.Split: an empty separator splits after each UTF-8 sequence.
Value fn_split(std::span<const Value> a) {
  const std::string& text = want_string(a[0]);
  const std::string& sep = want_string(a[1]);
  json parts = json::array();
  if (sep.empty()) {
    for (std::size_t i = 0; i < text.size();) {
      std::size_t len = 1;
      while (i + len < text.size() && (static_cast<unsigned char>(text[i + len]) & 0xc0) == 0x80) {
        ++len;
      }
      parts.push_back(text.substr(i, len));
      i += len;
    }
    return Value::make(std::move(parts));
  }
  std::size_t start = 0;
  for (std::size_t at = text.find(sep); at != std::string::npos; at = text.find(sep, start)) {
    parts.push_back(text.substr(start, at - start));
    start = at + sep.size();
  }
  parts.push_back(text.substr(start));
  return Value::make(std::move(parts));
}

// strings.Join takes a []string; JSON arrays may hold other scalars, printed as %v would.
Value fn_join(std::span<const Value> a) {
  const json& list = a[0].json();
  const std::string& sep = want_string(a[1]);
  if (!list.is_array()) {
    throw FuncError(FuncError::Kind::arguments,
                    "wrong type for value; expected []string; got " + go_type_name(list));
  }
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    out += (i == 0 ? "" : sep) + format_value(list[i]);
  }
  return make_string(std::move(out));
}

Value map_ascii(const Value& v, int (*change)(int)) {
  std::string text = want_string(v);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x80) {
      c = static_cast<char>(change(static_cast<unsigned char>(c)));
    }
  }
  return make_string(std::move(text));
}

Value fn_lower(std::span<const Value> a) { return map_ascii(a[0], [](int c) { return std::tolower(c); }); }
Value fn_upper(std::span<const Value> a) { return map_ascii(a[0], [](int c) { return std::toupper(c); }); }

// strings.Title: upper-cases each letter that follows a separator (not a letter, digit or '_').
Value fn_title(std::span<const Value> a) {
  std::string text = want_string(a[0]);
  bool after_separator = true;
  for (char& c : text) {
    const auto b = static_cast<unsigned char>(c);
    const bool word_char = std::isalnum(b) != 0 || c == '_' || b >= 0x80;
    if (after_separator && std::islower(b) != 0) {
      c = static_cast<char>(std::toupper(b));
    }
    after_separator = !word_char;
  }
  return make_string(std::move(text));
}

Value fn_pad(std::span<const Value> a) {
  const std::string& text = want_string(a[0]);
  const auto before = std::max<std::int64_t>(0, want_int(a[1]));
  const auto after = std::max<std::int64_t>(0, want_int(a[2]));
  return make_string(std::string(static_cast<std::size_t>(before), ' ') + text +
                     std::string(static_cast<std::size_t>(after), ' '));
}

// Docker's truncate cuts bytes, not runes, exactly like its Go original.
Value fn_truncate(std::span<const Value> a) {
  const std::string& text = want_string(a[0]);
  const std::int64_t length = want_int(a[1]);
  if (length < 0 || static_cast<std::size_t>(length) >= text.size()) {
    return a[0];
  }
  return make_string(text.substr(0, static_cast<std::size_t>(length)));
}

Value fn_not(std::span<const Value> a) { return Value::make(json(!is_true(a[0]))); }

Value fn_len(std::span<const Value> a) {
  const json& j = a[0].json();
  if (j.is_string()) {
    return Value::make(json(j.get_ref<const std::string&>().size()));
  }
  if (j.is_array() || j.is_object()) {
    return Value::make(json(j.size()));
  }
  call_error(j.is_null() ? "len of nil pointer" : "len of type " + go_type_name(j));
}

// An index at most `limit` (Go's indexArg).
std::size_t index_arg(const Value& index, std::size_t limit) {
  const json& j = index.json();
  if (!j.is_number_integer()) {
    call_error(j.is_null() ? "cannot index slice/array with nil"
                           : "cannot index slice/array with type " + go_type_name(j));
  }
  const auto x = j.get<std::int64_t>();
  if (x < 0 || static_cast<std::uint64_t>(x) > limit) {
    call_error(fmt::format("index out of range: {}", x));
  }
  return static_cast<std::size_t>(x);
}

Value fn_index(std::span<const Value> a) {
  if (a[0].is_missing()) {
    call_error("index of untyped nil");
  }
  Value item = a[0];
  for (const Value& index : a.subspan(1)) {
    const json& j = item.json();
    if (j.is_null()) {
      call_error("index of nil pointer");
    }
    if (j.is_array() || j.is_string()) {
      const std::size_t size = j.is_array() ? j.size() : j.get_ref<const std::string&>().size();
      const std::size_t x = index_arg(index, size);
      if (x == size) {
        call_error(fmt::format("index out of range: {}", x));
      }
      item = j.is_array() ? item.child(j[x])
                          : Value::make(json(static_cast<unsigned char>(j.get_ref<const std::string&>()[x])));
    } else if (j.is_object()) {
      const json& key = index.json();
      if (!key.is_string()) {
        call_error("value has type " + go_type_name(key) + "; should be string");
      }
      const auto it = j.find(key.get_ref<const std::string&>());
      item = it == j.end() ? Value() : item.child(*it);
    } else {
      call_error("can't index item of type " + go_type_name(j));
    }
  }
  return item;
}

// Go's slice: x[i:j] (and x[i:j:k] for arrays, where k only caps the capacity).
Value fn_slice(std::span<const Value> a) {
  const json& j = a[0].json();
  if (a[0].is_missing() || j.is_null()) {
    call_error("slice of untyped nil");
  }
  if (!j.is_array() && !j.is_string()) {
    call_error("can't slice item of type " + go_type_name(j));
  }
  const std::size_t size = j.is_array() ? j.size() : j.get_ref<const std::string&>().size();
  if (a.size() > (j.is_string() ? 3U : 4U)) {
    call_error(fmt::format("too many slice indexes: {}", a.size() - 1));
  }
  std::array<std::size_t, 3> idx = {0, size, size};
  for (std::size_t i = 1; i < a.size(); ++i) {
    idx[i - 1] = index_arg(a[i], size);
  }
  if (a.size() == 2) {
    idx[1] = size;
  }
  if (idx[0] > idx[1]) {
    call_error(fmt::format("invalid slice index: {} > {}", idx[0], idx[1]));
  }
  if (a.size() == 4 && idx[1] > idx[2]) {
    call_error(fmt::format("invalid slice index: {} > {}", idx[1], idx[2]));
  }
  if (j.is_string()) {
    return make_string(j.get_ref<const std::string&>().substr(idx[0], idx[1] - idx[0]));
  }
  return Value::make(json(j.begin() + static_cast<std::ptrdiff_t>(idx[0]),
                          j.begin() + static_cast<std::ptrdiff_t>(idx[1])));
}

Value fn_print(std::span<const Value> a) { return make_string(go_sprint(a)); }
Value fn_println(std::span<const Value> a) { return make_string(go_sprintln(a)); }
Value fn_printf(std::span<const Value> a) { return make_string(go_sprintf(want_string(a[0]), a.subspan(1))); }

} // namespace

// Comparisons live in go_template_compare.cpp.
Value fn_eq(std::span<const Value> a);
Value fn_ne(std::span<const Value> a);
Value fn_lt(std::span<const Value> a);
Value fn_le(std::span<const Value> a);
Value fn_gt(std::span<const Value> a);
Value fn_ge(std::span<const Value> a);

namespace {

constexpr std::array k_functions = {
    FuncInfo{"and", 1, k_variadic, nullptr, false},
    FuncInfo{"eq", 1, k_variadic, fn_eq, false},
    FuncInfo{"ge", 2, 2, fn_ge, false},
    FuncInfo{"gt", 2, 2, fn_gt, false},
    FuncInfo{"index", 1, k_variadic, fn_index, false},
    FuncInfo{"join", 2, 2, fn_join, true},
    FuncInfo{"json", 1, 1, fn_json, true},
    FuncInfo{"le", 2, 2, fn_le, false},
    FuncInfo{"len", 1, 1, fn_len, false},
    FuncInfo{"lower", 1, 1, fn_lower, true},
    FuncInfo{"lt", 2, 2, fn_lt, false},
    FuncInfo{"ne", 2, 2, fn_ne, false},
    FuncInfo{"not", 1, 1, fn_not, false},
    FuncInfo{"or", 1, k_variadic, nullptr, false},
    FuncInfo{"pad", 3, 3, fn_pad, true},
    FuncInfo{"print", 0, k_variadic, fn_print, false},
    FuncInfo{"printf", 1, k_variadic, fn_printf, false},
    FuncInfo{"println", 0, k_variadic, fn_println, false},
    FuncInfo{"slice", 1, k_variadic, fn_slice, false},
    FuncInfo{"split", 2, 2, fn_split, true},
    FuncInfo{"title", 1, 1, fn_title, true},
    FuncInfo{"truncate", 2, 2, fn_truncate, true},
    FuncInfo{"upper", 1, 1, fn_upper, true},
};

} // namespace

const FuncInfo* find_function(std::string_view name) {
  const auto it = std::find_if(k_functions.begin(), k_functions.end(),
                               [&](const FuncInfo& f) { return f.name == name; });
  return it == k_functions.end() ? nullptr : &*it;
}

bool is_function(std::string_view name) { return find_function(name) != nullptr; }

bool is_true(const Value& value) {
  const json& j = value.json();
  switch (j.type()) {
  case json::value_t::boolean: return j.get<bool>();
  case json::value_t::number_integer: return j.get<std::int64_t>() != 0;
  case json::value_t::number_unsigned: return j.get<std::uint64_t>() != 0;
  case json::value_t::number_float: return j.get<double>() != 0;
  case json::value_t::string: return !j.get_ref<const std::string&>().empty();
  case json::value_t::array:
  case json::value_t::object: return !j.empty();
  default: return false;
  }
}

} // namespace strata::go_template
