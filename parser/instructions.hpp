#pragma once
// Typed Dockerfile instructions: BuildKit's `instructions` package (commands.go, parse.go,
// bflag.go, commands_run*.go).
//
// `to_instructions` turns each root child of an `Ast` into one `Instruction`, validating the
// keyword, its builder flags (`--name=value`) and its arguments. Vocabulary:
// - *keyword*: the instruction name as written (`copy`, `COPY`); `kind` is its typed form.
// - *flag*: a builder flag word before the arguments; `Flag` keeps it as written and located.
// - *word*: one argument, `Word` = text + file position.
// - *unexpanded*: every value here is as written in the Dockerfile (quotes of shell-form
//   arguments kept, `$VAR` not substituted). Expansion and ARG scoping belong to the stage
//   layer, which may re-check expanded values with `parse_mount` and `check_chmod`.
//
// Positions are 1-based `LineColumn`s of the file (see `position_of` in ast.hpp). A caret can be
// pointed at the instruction (`line`/`column`), any flag (`Flag::position`), the argument text
// (`args_position`) or a single argument (`Word::position`; for JSON-form arguments, which have
// no per-element position, it is `args_position`).
//
// Failure: `to_instructions` throws `Error{parse}` whose `SourceRange` names `Ast::file`, the
// line and column of the offending keyword, flag or argument, with that physical line attached
// (`Error::source_line`). Messages are BuildKit's where BuildKit has one
// (parser/error_messages.hpp). Cost is about linear in the size of the AST.
// Thread-safety: all functions are pure; `Instruction` is a plain value type.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "parser/ast.hpp"

namespace strata::parser {

enum class InstructionKind {
  from,
  run,
  cmd,
  entrypoint,
  shell,
  label,
  env,
  arg,
  expose,
  add,
  copy,
  volume,
  user,
  workdir,
  onbuild,
  stopsignal,
  healthcheck,
  maintainer,
};

// Lower-case keyword: "from", "run", ..., "stopsignal".
[[nodiscard]] std::string_view to_string(InstructionKind kind);
// `std::nullopt` for an unknown keyword; case-insensitive.
[[nodiscard]] std::optional<InstructionKind> instruction_kind(std::string_view keyword);

// One argument (or flag value) as written, unexpanded, with the position of its first byte.
struct Word {
  std::string value;
  LineColumn position;
};

// One builder flag as written: `--chown=1:1` gives name "chown", value "1:1", has_value.
struct Flag {
  std::string name; // without the leading `--`
  std::string value;
  bool has_value = false; // an `=` was present
  LineColumn position;    // of the leading `--`
};

// ---- command lines (RUN, CMD, ENTRYPOINT, HEALTHCHECK CMD) ----

// Shell form (`RUN make all`) runs `args[0]` through the stage's SHELL; exec form (JSON array)
// runs `args` directly. In shell form `args` holds at most one string, the whole text.
enum class CommandForm { shell, exec };

// A heredoc body: a RUN script/file or an inline COPY/ADD source.
struct HeredocFile {
  std::string name;    // delimiter, quotes removed (also the file name of a COPY source)
  std::string content; // body with line endings; for `<<-` leading tabs already stripped
  bool expand = true;  // false when the delimiter was quoted: no `$VAR` expansion in the body
  bool chomp = false;  // `<<-` was used
  int fd = 0;          // `3<<EOF` gives 3; 0 when absent
};

struct CommandLine {
  CommandForm form = CommandForm::shell;
  std::vector<std::string> args;
  std::vector<HeredocFile> heredocs; // RUN only, in the order they appear on the line
};

// ---- RUN ----

// `--mount=type=...`; `MountSharing` is a cache mount's `sharing=` (`private_` spells
// "private"); `--network=` and `--security=` of RUN. `to_string` gives BuildKit's spelling.
enum class MountType { bind, cache, tmpfs, secret, ssh };
enum class MountSharing { shared, private_, locked };
enum class NetworkMode { default_network, none, host };
enum class SecurityMode { sandbox, insecure };

[[nodiscard]] std::string_view to_string(MountType type);
[[nodiscard]] std::string_view to_string(MountSharing sharing);
[[nodiscard]] std::string_view to_string(NetworkMode mode);
[[nodiscard]] std::string_view to_string(SecurityMode mode);

// One field of a `--mount` value: `key=value` or a bare `key` (`ro`, `required`).
struct MountOption {
  std::string key; // lower-cased
  std::string value;
  bool has_value = false;
};

// A parsed `--mount` (BuildKit's `Mount`). `options` keeps every field as written; the typed
// fields below are interpreted from them. A value containing `$` cannot be checked before
// expansion: its typed field is left unset here and `needs_expansion` is true, so the stage
// layer calls `parse_mount(text, expander)` again once variables are known.
struct MountSpec {
  std::string text;    // the whole flag value
  LineColumn position; // of the `--mount` flag
  std::vector<MountOption> options;
  bool needs_expansion = false;

  MountType type = MountType::bind;
  std::string from;
  std::string source; // `source`/`src`
  std::string target; // `target`/`dst`/`destination`
  std::string id;
  std::optional<std::string> env; // secret only: the variable to expose the secret as
  std::optional<MountSharing> sharing;
  bool readonly = false;             // defaulted per type (bind/secret/ssh read-only) unless given
  bool required = false;             // secret/ssh only
  std::optional<std::uint32_t> mode; // octal
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  std::optional<std::int64_t> size; // tmpfs only, bytes
};

// Expands one word (a mount value); supplied by the stage layer, may throw `Error`.
using WordExpander = std::function<std::string(std::string_view)>;

// BuildKit's `parseMount`: a CSV list of fields. Without `expand`, values that contain `$` are
// not interpreted (but `from` may never contain a variable). Throws `Error{parse}` with the
// message only (no position); `to_instructions` adds the flag's position.
[[nodiscard]] MountSpec parse_mount(std::string_view text, const WordExpander& expand = {});

// RUN [--mount=...]... [--network=...] [--security=...] command. Mounts are in flag order.
struct RunInstruction {
  CommandLine command;
  std::vector<MountSpec> mounts;
  NetworkMode network = NetworkMode::default_network;
  SecurityMode security = SecurityMode::sandbox;
};

// CMD and ENTRYPOINT: an empty exec form (`CMD []`) and no arguments at all are both allowed.
struct CmdInstruction {
  CommandLine command;
};

struct EntrypointInstruction {
  CommandLine command;
};

// SHELL accepts only the exec (JSON) form.
struct ShellInstruction {
  std::vector<std::string> shell;
};

// ---- FROM ----

// FROM [--platform=...] base [AS name].
struct FromInstruction {
  Word base;                      // image reference or stage name, unexpanded
  std::optional<Word> stage_name; // `AS name`, lower-cased and validated
  std::optional<Word> platform;   // `--platform` value, unexpanded
};

// ---- ENV, LABEL, ARG ----

// One ENV or LABEL pair. Keys are never empty.
struct KeyValue {
  std::string key;
  std::string value;   // unexpanded; quotes kept as written
  bool legacy = false; // `ENV key value` form (no `=`)
  LineColumn position; // of the key
};

// ENV and LABEL: one or more pairs, in source order.
struct EnvInstruction {
  std::vector<KeyValue> pairs;
};

struct LabelInstruction {
  std::vector<KeyValue> pairs;
};

// One name of an ARG line (`ARG a b=1` has two). Names are never empty; BuildKit checks no more.
struct ArgDefinition {
  std::string name;
  std::optional<std::string> default_value; // unexpanded; absent for `ARG name`
  LineColumn position;
};

struct ArgInstruction {
  std::vector<ArgDefinition> args;
};

// ---- COPY, ADD ----

// What COPY and ADD share (BuildKit's `SourcesAndDest` + common flags).
struct FileTransfer {
  std::vector<Word> sources;               // paths / URLs, unexpanded
  std::vector<HeredocFile> inline_sources; // `COPY <<EOF /dest`
  Word destination;
  std::optional<Word> chown;
  std::optional<Word> chmod; // octal (`755`) or symbolic (`u+x,g-w`); checked if literal
  bool link = false;
  std::vector<Word> excludes; // `--exclude`, repeatable
};

struct CopyInstruction : FileTransfer {
  std::optional<Word> from; // `--from=stage|image|context`
  bool parents = false;
};

struct AddInstruction : FileTransfer {
  std::optional<Word> checksum;
  bool keep_git_dir = false;
};

// ---- the rest ----

// EXPOSE: literal `port[-port][/tcp|udp|sctp]` words are checked here, others after expansion.
struct ExposeInstruction {
  std::vector<Word> ports; // `80`, `8080/udp`, `7000-7010/tcp`, in source order, unexpanded
};

struct VolumeInstruction {
  std::vector<Word> volumes;
};

// USER, WORKDIR, STOPSIGNAL and MAINTAINER: exactly one argument (the whole rest of the line).
struct UserInstruction {
  Word user;
};

struct WorkdirInstruction {
  Word path;
};

struct StopSignalInstruction {
  Word signal;
};

struct MaintainerInstruction {
  Word name;
};

// HEALTHCHECK NONE, or HEALTHCHECK [flags] CMD ... . A zero duration means "not given" (inherit).
struct HealthcheckInstruction {
  bool none = false;
  CommandLine command; // CMD: shell form gives Docker's CMD-SHELL test, exec form CMD
  std::chrono::nanoseconds interval{0};
  std::chrono::nanoseconds timeout{0};
  std::chrono::nanoseconds start_period{0};
  std::chrono::nanoseconds start_interval{0};
  std::optional<int> retries;
};

struct Instruction;

// ONBUILD: the trigger is stored in the image as `expression` and run by builds FROM it.
// Unlike BuildKit, which parses a trigger only when a child image is built, the trigger is
// parsed and validated here, so a bad trigger fails the build that defines it. ONBUILD ONBUILD,
// ONBUILD FROM and ONBUILD MAINTAINER are rejected as in BuildKit. The trigger's positions
// point into the ONBUILD line; its `original` is the trigger text.
struct OnbuildInstruction {
  std::string expression;           // trigger text without `ONBUILD`, heredoc bodies appended
  std::vector<Instruction> trigger; // exactly one element: the parsed sub-instruction (a vector
                                    // only because `Instruction` is incomplete here)
};

using InstructionDetails =
    std::variant<FromInstruction, RunInstruction, CmdInstruction, EntrypointInstruction,
                 ShellInstruction, LabelInstruction, EnvInstruction, ArgInstruction,
                 ExposeInstruction, AddInstruction, CopyInstruction, VolumeInstruction,
                 UserInstruction, WorkdirInstruction, OnbuildInstruction, StopSignalInstruction,
                 HealthcheckInstruction, MaintainerInstruction>;

// One typed instruction. `details` holds the alternative matching `kind`.
struct Instruction {
  InstructionKind kind = InstructionKind::from;
  std::string keyword;        // as written (`copy`, `COPY`)
  std::uint32_t line = 0;     // first physical line
  std::uint32_t column = 0;   // of the keyword
  std::uint32_t end_line = 0; // last continuation or heredoc line
  std::string original;       // the logical line, continuations joined (heredoc bodies excluded)
  std::vector<Flag> flags;    // every flag as written, in order
  LineColumn args_position;   // where the argument text starts
  InstructionDetails details;

  // The details as `T` (throws `std::bad_variant_access` if `kind` differs). On a temporary
  // `Instruction` it returns a copy, so `const auto& d = f().as<T>()` cannot dangle.
  template <typename T> [[nodiscard]] const T& as() const& { return std::get<T>(details); }
  template <typename T> [[nodiscard]] T& as() & { return std::get<T>(details); }
  template <typename T> [[nodiscard]] T as() && { return std::get<T>(std::move(details)); }
  // The position of the instruction as an error location in `file`.
  [[nodiscard]] SourceRange range(std::string file) const {
    return SourceRange{std::move(file), line, column, end_line};
  }
};

// Converts every root child of `ast`. Throws `Error{parse}` (see the file comment).
[[nodiscard]] std::vector<Instruction> to_instructions(const Ast& ast);

// Validates a `--chmod` value: octal (`0755`, at most 07777) or a comma list of symbolic
// clauses `[ugoa]*[-+=][rwxXst]*`. Throws `Error{parse}` (message only) otherwise.
void check_chmod(std::string_view value);

// Go's `time.ParseDuration` (`1m30s`, `500ms`, `1.5h`). `std::nullopt` when invalid.
[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

} // namespace strata::parser
