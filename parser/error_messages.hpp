#pragma once
// Every user-facing message of the Dockerfile parser, in one table (STYLE.md §6). Where BuildKit
// has a message for the same failure, the text is BuildKit's, so users can search for it.

#include <string_view>

namespace strata::parser::messages {

// Line layer.
inline constexpr std::string_view k_nul_byte = "NUL byte in Dockerfile";
inline constexpr std::string_view k_line_too_long =
    "dockerfile line greater than max allowed size of 65535";
inline constexpr std::string_view k_logical_line_too_long =
    "instruction longer than the maximum of 1048576 bytes (line continuations joined)";
inline constexpr std::string_view k_too_many_instructions = "more than 100000 instructions";
inline constexpr std::string_view k_no_instructions = "file with no instructions";
inline constexpr std::string_view k_unterminated_heredoc = "unterminated heredoc";
inline constexpr std::string_view k_duplicate_directive = "only one {} parser directive can be used";
inline constexpr std::string_view k_invalid_escape =
    "invalid escape token '{}' does not match ` or \\";
inline constexpr std::string_view k_json_not_strings =
    "when using JSON array syntax, arrays must be comprised of strings only";
inline constexpr std::string_view k_needs_two_args = "{} must have two arguments";
inline constexpr std::string_view k_missing_equals =
    "Syntax error - can't find = in {}. Must be of the form: name=value";
inline constexpr std::string_view k_onbuild_too_deep = "ONBUILD nested too deeply";
inline constexpr std::string_view k_heredoc_inconsistent =
    "internal lexing of heredoc produced inconsistent results: {}";

// Instruction layer (instructions.hpp). `{}` placeholders are filled with fmt::format.
inline constexpr std::string_view k_unknown_instruction = "unknown instruction: {}";
inline constexpr std::string_view k_did_you_mean = "{} (did you mean {}?)";
inline constexpr std::string_view k_unknown_flag = "unknown flag --{} for {}";
inline constexpr std::string_view k_flag_only_for = "{} can't be specified for {}";
inline constexpr std::string_view k_duplicate_flag = "duplicate flag specified: --{}";
inline constexpr std::string_view k_missing_flag_value = "missing a value on flag: --{}";
inline constexpr std::string_view k_not_boolean = "expecting boolean value for flag --{}, not: {}";
inline constexpr std::string_view k_at_least_one_argument = "{} requires at least one argument";
inline constexpr std::string_view k_exactly_one_argument = "{} requires exactly one argument";
inline constexpr std::string_view k_no_destination =
    "{} requires at least two arguments, but only one was provided. Destination could not be "
    "determined.";
inline constexpr std::string_view k_bad_heredoc = "{} cannot accept a heredoc as {}";
inline constexpr std::string_view k_blank_names = "{} names can not be blank";
inline constexpr std::string_view k_too_many_arguments = "Bad input to {}, too many arguments";
inline constexpr std::string_view k_from_arguments = "FROM requires either one or three arguments";
inline constexpr std::string_view k_invalid_stage_name =
    "invalid name for build stage: {}, name can't start with a number or contain symbols";
inline constexpr std::string_view k_onbuild_chaining =
    "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed";
inline constexpr std::string_view k_onbuild_trigger = "{} isn't allowed as an ONBUILD trigger";
inline constexpr std::string_view k_not_json = "{} requires the arguments to be in JSON form";
inline constexpr std::string_view k_empty_volume = "VOLUME specified can not be an empty string";
inline constexpr std::string_view k_healthcheck_none_args = "HEALTHCHECK NONE takes no arguments";
inline constexpr std::string_view k_healthcheck_none_flags = "HEALTHCHECK NONE takes no flags";
inline constexpr std::string_view k_healthcheck_type = "Unknown type {} in HEALTHCHECK (try CMD)";
inline constexpr std::string_view k_healthcheck_missing_cmd = "Missing command after HEALTHCHECK CMD";
inline constexpr std::string_view k_interval_too_small = "Interval {} cannot be less than 1ms";
inline constexpr std::string_view k_retries_negative = "--retries cannot be negative ({})";
inline constexpr std::string_view k_parse_int = "strconv.ParseInt: parsing {}: {}";
inline constexpr std::string_view k_duration_invalid = "time: invalid duration {}";
inline constexpr std::string_view k_duration_missing_unit = "time: missing unit in duration {}";
inline constexpr std::string_view k_duration_unknown_unit = "time: unknown unit {} in duration {}";
inline constexpr std::string_view k_invalid_network = "invalid network mode {}";
inline constexpr std::string_view k_invalid_security = "security {} is not valid";
inline constexpr std::string_view k_invalid_chmod =
    "invalid chmod parameter: '{}'. it should be octal string and between 0 and 07777";
inline constexpr std::string_view k_checksum_multiple_sources =
    "checksum can't be specified for multiple sources";
inline constexpr std::string_view k_invalid_port = "invalid containerPort: {}";
inline constexpr std::string_view k_invalid_port_range =
    "invalid range specified for container port: {}";
inline constexpr std::string_view k_invalid_proto = "invalid proto: {}";
// RUN --mount (BuildKit's parseMount).
inline constexpr std::string_view k_mount_csv = "failed to parse csv mounts: {}";
inline constexpr std::string_view k_mount_not_pair = "invalid field '{}' must be a key=value pair";
inline constexpr std::string_view k_mount_key_for_type = "unexpected key '{}' for mount type '{}'";
inline constexpr std::string_view k_mount_unknown_key = "unexpected key '{}' in '{}'";
inline constexpr std::string_view k_mount_from_variable =
    "'{}' doesn't support variable expansion, define alias stage instead";
inline constexpr std::string_view k_mount_type = "unsupported mount type {}";
inline constexpr std::string_view k_mount_sharing = "unsupported sharing value {}";
inline constexpr std::string_view k_mount_bool_value = "invalid value for {}: {}";
inline constexpr std::string_view k_mount_number = "invalid value {} for {}";
inline constexpr std::string_view k_mount_file_info = "{} not allowed for {} type mounts";
inline constexpr std::string_view k_mount_cache_sharing = "invalid cache sharing set for {} mount";
inline constexpr std::string_view k_mount_secret_from = "secret mount should not have a from";
inline constexpr std::string_view k_mount_secret_sharing = "secret mount should not define sharing";
inline constexpr std::string_view k_mount_secret_target =
    "invalid secret mount. one of source, target required";
inline constexpr std::string_view k_mount_source_and_id = "both source and id can't be set";
inline constexpr std::string_view k_mount_target_required = "{} mount requires a target";

// Shell-word lexer.
// Used by shell_lexer.cpp, shell_pattern.cpp and shell_words.cpp; each message is reported as
// `failed to process "WORD": MESSAGE`. The bounds are strata's own texts, the rest BuildKit's.
inline constexpr std::string_view k_shell_failed_to_process = "failed to process {}: {}";
inline constexpr std::string_view k_shell_missing_brace = "syntax error: missing '}'";
// Not a format string: `${}` is literal text, as BuildKit prints it.
inline constexpr std::string_view k_shell_missing_slash = "syntax error: missing '/' in ${}";
inline constexpr std::string_view k_shell_bad_substitution = "syntax error: bad substitution";
inline constexpr std::string_view k_shell_unsupported_modifier =
    "unsupported modifier ({}) in substitution";
inline constexpr std::string_view k_shell_unterminated =
    "unexpected end of statement while looking for matching {}";
inline constexpr std::string_view k_shell_unterminated_single_quote =
    "unexpected end of statement while looking for matching single-quote";
inline constexpr std::string_view k_shell_unterminated_double_quote =
    "unexpected end of statement while looking for matching double-quote";
// `${name?word}` / `${name:?word}`: "NAME: WORD", or one of the two texts below when WORD is empty.
inline constexpr std::string_view k_shell_required = "{}: {}";
inline constexpr std::string_view k_shell_unset_not_allowed = "is not allowed to be unset";
inline constexpr std::string_view k_shell_empty_not_allowed = "is not allowed to be empty";
inline constexpr std::string_view k_shell_invalid_pattern_escape =
    "invalid pattern ({}) in substitution: invalid escape '\\{}'";
inline constexpr std::string_view k_shell_nested_too_deeply = "expansion nested too deeply";
inline constexpr std::string_view k_shell_result_too_long = "expansion result exceeds {} bytes";
inline constexpr std::string_view k_shell_value_too_long =
    "value exceeds {} bytes in pattern substitution";
inline constexpr std::string_view k_shell_pattern_too_complex =
    "pattern too complex to match in substitution";

// Stage graph.
inline constexpr std::string_view k_before_first_from = "no build stage in current context";
inline constexpr std::string_view k_blank_base = "base name ({}) should not be blank";
inline constexpr std::string_view k_duplicate_stage = "duplicate stage name \"{}\"";
inline constexpr std::string_view k_invalid_stage_index =
    "invalid stage index {}: no stage with that number";
inline constexpr std::string_view k_circular_dependency = "circular dependency detected on stage: {}";
inline constexpr std::string_view k_target_not_found = "target stage \"{}\" could not be found";

// .dockerignore patterns.
// Used by dockerignore.cpp and glob_match.cpp. `k_ignore_bad_pattern` wraps the others as
// `invalid .dockerignore pattern "PATTERN": REASON`; the texts are strata's own.
inline constexpr std::string_view k_ignore_line_too_long =
    ".dockerignore line {} is longer than 65535 bytes";
inline constexpr std::string_view k_ignore_bad_pattern = "invalid .dockerignore pattern \"{}\": {}";
inline constexpr std::string_view k_ignore_lone_exception = "`!` must be followed by a pattern";
inline constexpr std::string_view k_ignore_trailing_backslash = "trailing `\\` escapes nothing";
inline constexpr std::string_view k_ignore_unterminated_class = "unterminated character class `[`";
inline constexpr std::string_view k_ignore_empty_class =
    "empty character class (write `\\]` for a literal `]`)";
inline constexpr std::string_view k_ignore_class_dash =
    "`-` with no range start (write `\\-` for a literal `-`)";
inline constexpr std::string_view k_ignore_range_no_end = "character range has no end";
inline constexpr std::string_view k_ignore_reversed_range = "character range is reversed";
inline constexpr std::string_view k_ignore_class_utf8 = "invalid UTF-8 in a character class";

} // namespace strata::parser::messages
