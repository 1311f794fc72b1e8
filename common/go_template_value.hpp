#pragma once
// Internal to the Go template engine (go_template*.cpp): the runtime value and Go's way of
// printing values (`fmt`'s %v and printf verbs, `encoding/json` for the `json` function).

#include <nlohmann/json.hpp>

#include <memory>
#include <span>
#include <stdexcept>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::go_template {

// A value during execution: a JSON value borrowed from the caller's data (which outlives the
// render), or produced by a function and owned here. `child` points inside a value and keeps
// its owner alive, so `(index .List 0).Name` never copies. A default-constructed value is
// *missing*, Go's invalid `reflect.Value` (a missing map key): it prints as "<no value>" and,
// unlike JSON null, a field of it is missing too rather than an error.
// Shared ownership because values are copied freely between pipeline stages, variables and
// function arguments, and an owned JSON result is never mutated after creation.
class Value {
public:
  Value() = default;
  [[nodiscard]] static Value borrow(const nlohmann::json& data) { return Value(nullptr, &data); }
  [[nodiscard]] static Value make(nlohmann::json owned);

  [[nodiscard]] Value child(const nlohmann::json& inside) const { return Value(owner_, &inside); }
  [[nodiscard]] bool is_missing() const { return ptr_ == nullptr; }
  // The JSON value; null when missing.
  [[nodiscard]] const nlohmann::json& json() const;

private:
  Value(std::shared_ptr<const nlohmann::json> owner, const nlohmann::json* ptr)
      : owner_(std::move(owner)), ptr_(ptr) {}

  std::shared_ptr<const nlohmann::json> owner_;
  const nlohmann::json* ptr_ = nullptr;
};

// A failure inside a function; the executor adds the template position and node.
// `kind` says whether Go prefixes it with "error calling NAME: " (an error the function
// returned) or not (argument checking, done by the template engine itself).
struct FuncError : std::runtime_error {
  enum class Kind { call, arguments };
  FuncError(Kind k, const std::string& message) : std::runtime_error(message), kind(k) {}
  Kind kind;
};

// Go's name for the type of a decoded-JSON value: "string", "int", "float64", "bool",
// "[]interface {}", "map[string]interface {}", or "<nil>" for null.
[[nodiscard]] std::string go_type_name(const nlohmann::json& value);

// `fmt.Sprint("%v", value)` for a value of Go's decoded-JSON types: strings raw, integers in
// decimal, floats as Go's shortest %v (1e+06 from a million), `[a b]` for arrays,
// `map[k:v]` with sorted keys for objects, "<nil>" for null.
[[nodiscard]] std::string format_value(const nlohmann::json& value);

// Go's `strconv.Quote`: double-quoted with Go escapes; invalid UTF-8 bytes as \xNN.
[[nodiscard]] std::string go_quote(std::string_view text);

// Docker's `json` template function: Go's `encoding/json` without HTML escaping and without
// the encoder's trailing newline: compact, keys sorted, floats in Go's JSON format, invalid
// UTF-8 replaced by U+FFFD.
[[nodiscard]] std::string go_json(const nlohmann::json& value);

// `fmt.Sprintf(format, args...)` with the verbs %v %s %d %q %x %X %f %F %e %E %g %G %t %c %%,
// flags `-+# 0`, width and precision (`*` is not supported). Mistakes render as Go does:
// "%!d(string=x)", "%!s(MISSING)", "%!(EXTRA int=1)", "%!(NOVERB)". Missing values print as
// Go's nil. Deliberately lenient: %d accepts integral floats and %f/%e/%g accept integers,
// because JSON data does not keep Go's static int/float distinction.
[[nodiscard]] std::string go_sprintf(std::string_view format, std::span<const Value> args);

// `fmt.Sprint` (a space between operands when neither side is a string) and `fmt.Sprintln`
// (spaces between all operands, then a newline).
[[nodiscard]] std::string go_sprint(std::span<const Value> args);
[[nodiscard]] std::string go_sprintln(std::span<const Value> args);

// Appends `rune` to `out` as UTF-8 (the caller has replaced invalid runes).
void append_utf8(std::string& out, std::uint32_t rune);

} // namespace strata::go_template
