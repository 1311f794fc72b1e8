#pragma once
// Go's `text/template` as Docker's `--format` flag uses it, executed over JSON data.
//
// Docker executes a format against Go structs; strata's listing commands hand the same fields
// to `render` as a JSON object (`{"ID": ..., "Repository": ..., "Size": 123}`), one per row.
//
// Supported (Go semantics unless noted):
// - Text and actions `{{ }}`, trim markers `{{- ` and ` -}}` (they remove all adjacent
//   whitespace of the neighbouring text), comments `{{/* */}}`, actions spanning lines.
// - Operands: `.`, fields `.A.B`, variables `$` (the data) and `$x` with field chains,
//   `(pipeline).Field`, strings ("..." with Go escapes, `raw`), char constants ('a' is 97),
//   numbers (decimal, hex, floats, exponents), `true`, `false`, `nil`.
// - Pipelines `{{.X | json}}`: each command's result is the last argument of the next.
// - `{{$x := pipeline}}`, `{{$x = pipeline}}`, scoped to the enclosing control structure.
// - `{{if}}` / `{{else if}}` / `{{else}}` / `{{end}}`, `{{with}}` (+ `else with`), `{{range}}`
//   over arrays, objects (sorted keys, `$k, $v :=`) and integers (0..n-1), with `{{else}}`,
//   `{{break}}` and `{{continue}}`. Truthiness: false, 0, null, missing, and empty
//   strings/arrays/objects are false.
// - Go builtins: and, or (short-circuit, return an operand), not, len, index, slice, print,
//   printf (see `go_sprintf` in go_template_value.hpp), println, eq (any number of right-hand
//   operands), ne, lt, le, gt, ge. Docker's functions: json (compact `encoding/json`, no
//   trailing newline), join, split, lower, upper, title, pad, truncate.
// Not supported: `define`, `template`, `block`, `html`, `js`, `urlquery`, `call` and methods;
// they fail to parse. `lower`, `upper` and `title` change ASCII letters only.
//
// Fields: a field of an object is its member. A *missing* member is an error, as a misspelt
// struct field is in Docker ("can't evaluate field Foo in type map[string]interface {}"),
// unless the render asks for `MissingKey::no_value`, which yields Go's "<no value>" the way
// `docker inspect` (executed over raw JSON maps) does. A member that is present but null is
// always fine and prints "<no value>". A field of null is an error ("nil pointer evaluating
// interface {}.Foo"); a field of a missing value is missing. A field of anything else is an
// error ("can't evaluate field Foo in type string").
//
// Printing follows Go's fmt %v: strings raw, integers in decimal, floats as Go prints float64
// (1e+06), booleans, null and missing as "<no value>", arrays `[a b c]`, objects
// `map[k:v k2:v2]` with sorted keys.
//
// Errors throw `Error{usage}` with Docker's wording: parse errors
// "template parsing error: template: :LINE: MSG", execution errors
// "template: :LINE:COL: executing \"\" at <NODE>: MSG" (COL is the 0-based byte offset in the
// line, NODE the failing source text, cut at 20 bytes).
//
// A parsed template is immutable and may be rendered concurrently from several threads.

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace strata {

namespace go_template {
struct Tree;
} // namespace go_template

// What a field that the object lacks evaluates to (Go's `missingkey` option, with Docker's
// struct behaviour as the default).
enum class MissingKey {
  error,    // "can't evaluate field X in type ...": Docker's listing commands
  no_value, // a missing value, printed "<no value>": `docker inspect`
};

class GoTemplate {
public:
  // Parses `text`; throws `Error{usage}` on a syntax error, an undefined function or variable.
  [[nodiscard]] static GoTemplate parse(std::string_view text);

  // Executes the template with `data` as dot and `$`. Throws `Error{usage}` on an execution
  // error; nothing is returned then, as Docker prints nothing for a failed row.
  [[nodiscard]] std::string render(const nlohmann::json& data,
                                   MissingKey missing = MissingKey::error) const;

  // Docker's table header: executes the template over `headers`, an object mapping each field
  // to its column title ({"ID": "IMAGE ID", "Repository": "REPOSITORY"}), with Docker's header
  // functions: json, join, split, lower, upper, title, pad and truncate return their first
  // argument unchanged, so `{{.Repository | lower}}` still titles the column "REPOSITORY".
  // Fields absent from `headers` print "<no value>" (missing keys allowed).
  [[nodiscard]] std::string render_header(const nlohmann::json& headers) const;

private:
  explicit GoTemplate(std::shared_ptr<const go_template::Tree> tree);

  // Shared because a parsed tree is immutable: copies of a template share it cheaply.
  std::shared_ptr<const go_template::Tree> tree_;
};

// A `--format` value after Docker's preprocessing (cli/command/formatter `preFormat`).
struct FormatSpec {
  bool table = false; // the format began with "table": align rows with `TabWriter`, add a header
  std::string body;   // the template text; empty after a bare "table" (use the default columns)
};

// Docker's preprocessing of `--format`: a leading "table" is removed and sets `table`; the
// value "json" becomes `{{json .}}`; spaces around the rest are trimmed; then the two-character
// sequences `\t` and `\n` that users type in shells become TAB and newline.
[[nodiscard]] FormatSpec parse_format(std::string_view format);

} // namespace strata
