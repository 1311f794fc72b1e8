// `RUN --mount=...` values (BuildKit's commands_runmount.go `parseMount`).

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include "common/error.hpp"
#include "parser/error_messages.hpp"
#include "parser/instruction_internal.hpp"
#include "parser/text.hpp"

namespace strata::parser {
namespace {

using detail::go_quoted;

constexpr std::array<std::string_view, 19> k_mount_keys{
    "type", "from", "source", "target", "readonly",    "id", "sharing", "required",  "size", "mode",
    "uid",  "gid",  "src",    "dst",    "destination", "ro", "rw",      "readwrite", "env"};
constexpr std::array<std::string_view, 5> k_mount_types{"bind", "cache", "tmpfs", "secret", "ssh"};
constexpr std::array<std::string_view, 3> k_sharing_modes{"shared", "private", "locked"};

[[noreturn]] void mount_error(std::string message) {
  throw Error(ErrorKind::parse, std::move(message));
}

// Go's encoding/csv on one record: `,` separates fields, `"..."` quotes one with `""` for `"`.
std::vector<std::string> split_csv(std::string_view text) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (i <= text.size() && !text.empty()) {
    std::string field;
    if (i < text.size() && text[i] == '"') {
      ++i;
      for (;;) {
        if (i >= text.size()) {
          mount_error(detail::format_message(messages::k_mount_csv, "extraneous or missing \" in quoted-field"));
        }
        if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          i += 2;
        } else if (text[i] == '"') {
          ++i;
          break;
        } else {
          field += text[i++];
        }
      }
      if (i < text.size() && text[i] != ',') {
        mount_error(detail::format_message(messages::k_mount_csv, "extraneous or missing \" in quoted-field"));
      }
    } else {
      const auto comma = std::min(text.find(',', i), text.size());
      field = std::string(text.substr(i, comma - i));
      if (field.find('"') != std::string::npos) {
        mount_error(detail::format_message(messages::k_mount_csv, "bare \" in non-quoted-field"));
      }
      i = comma;
    }
    fields.push_back(std::move(field));
    ++i; // past the comma (or past the end, which stops the loop)
  }
  return fields;
}

// The parse state of one mount: the spec plus what BuildKit tracks on the side.
struct MountState {
  MountSpec spec;
  bool ro_auto = true;
  bool type_deferred = false;
  std::set<std::string> deferred; // keys whose value waits for expansion

  [[nodiscard]] bool has(std::string_view key) const {
    return deferred.count(std::string(key)) > 0;
  }
  [[nodiscard]] bool is_secret_or_ssh() const {
    return spec.type == MountType::secret || spec.type == MountType::ssh;
  }
};

void apply_bare_key(MountState& st, const std::string& key, const std::string& field) {
  if (key == "readonly" || key == "ro") {
    st.spec.readonly = true;
    st.ro_auto = false;
  } else if (key == "readwrite" || key == "rw") {
    st.spec.readonly = false;
    st.ro_auto = false;
  } else if (key == "required" && (st.is_secret_or_ssh() || st.type_deferred)) {
    st.spec.required = true;
  } else if (key == "required") {
    mount_error(detail::format_message(messages::k_mount_key_for_type, key, to_string(st.spec.type)));
  } else {
    mount_error(detail::format_message(messages::k_mount_not_pair, field));
  }
}

bool parse_bool_value(const std::string& key, const std::string& value) {
  const auto parsed = detail::parse_go_bool(value);
  if (!parsed) {
    mount_error(detail::format_message(messages::k_mount_bool_value, key, value));
  }
  return *parsed;
}

std::uint32_t parse_number(const std::string& key, const std::string& value, int base) {
  const auto parsed = detail::parse_go_uint32(value, base);
  if (!parsed) {
    mount_error(detail::format_message(messages::k_mount_number, value, key));
  }
  return *parsed;
}

void require_type(const MountState& st, const std::string& key, bool allowed) {
  if (!allowed && !st.type_deferred) {
    mount_error(detail::format_message(messages::k_mount_key_for_type, key, to_string(st.spec.type)));
  }
}

void apply_type(MountState& st, const std::string& value) {
  const std::string lower = text::to_lower_ascii(value);
  const auto* it = std::find(k_mount_types.begin(), k_mount_types.end(), lower);
  if (it == k_mount_types.end()) {
    mount_error(
        detail::with_suggestion(detail::format_message(messages::k_mount_type, go_quoted(value)),
                                detail::suggest(value, k_mount_types, true)));
  }
  st.spec.type = static_cast<MountType>(it - k_mount_types.begin());
}

void apply_sharing(MountState& st, const std::string& value) {
  const std::string lower = text::to_lower_ascii(value);
  const auto* it = std::find(k_sharing_modes.begin(), k_sharing_modes.end(), lower);
  if (it == k_sharing_modes.end()) {
    mount_error(
        detail::with_suggestion(detail::format_message(messages::k_mount_sharing, go_quoted(value)),
                                detail::suggest(value, k_sharing_modes, true)));
  }
  st.spec.sharing = static_cast<MountSharing>(it - k_sharing_modes.begin());
}

void apply_value(MountState& st, const std::string& key, const std::string& value) {
  MountSpec& m = st.spec;
  if (key == "type") {
    apply_type(st, value);
  } else if (key == "from") {
    m.from = value;
  } else if (key == "source" || key == "src") {
    m.source = value;
  } else if (key == "target" || key == "dst" || key == "destination") {
    m.target = value;
  } else if (key == "readonly" || key == "ro") {
    m.readonly = parse_bool_value(key, value);
    st.ro_auto = false;
  } else if (key == "readwrite" || key == "rw") {
    m.readonly = !parse_bool_value(key, value);
    st.ro_auto = false;
  } else if (key == "required") {
    require_type(st, key, st.is_secret_or_ssh());
    m.required = parse_bool_value(key, value);
  } else if (key == "size") {
    require_type(st, key, m.type == MountType::tmpfs);
    m.size = detail::parse_ram_in_bytes(value);
    if (!m.size) {
      mount_error(detail::format_message(messages::k_mount_bool_value, key, value));
    }
  } else if (key == "id") {
    m.id = value;
  } else if (key == "sharing") {
    apply_sharing(st, value);
  } else if (key == "mode") {
    m.mode = parse_number(key, value, 8);
  } else if (key == "uid") {
    m.uid = parse_number(key, value, 10);
  } else if (key == "gid") {
    m.gid = parse_number(key, value, 10);
  } else if (key == "env") {
    m.env = value;
  }
}

void check_known_key(const std::string& key, const std::string& field) {
  if (std::find(k_mount_keys.begin(), k_mount_keys.end(), key) == k_mount_keys.end()) {
    mount_error(detail::with_suggestion(detail::format_message(messages::k_mount_unknown_key, key, field),
                                        detail::suggest(key, k_mount_keys, true)));
  }
}

// A value that refers to a variable (`$x`, `${x}`): BuildKit's test, a `$` before the last byte.
bool has_variable(std::string_view value) {
  const auto dollar = value.find('$');
  return dollar != std::string_view::npos && dollar + 1 < value.size();
}

void apply_field(MountState& st, const std::string& field, const WordExpander& expand) {
  const auto eq = field.find('=');
  MountOption option{text::to_lower_ascii(field.substr(0, eq)), {}, eq != std::string::npos};
  if (option.has_value) {
    option.value = field.substr(eq + 1);
  }
  st.spec.options.push_back(option);
  if (!option.has_value) {
    apply_bare_key(st, option.key, field);
    return;
  }
  check_known_key(option.key, field);
  std::string value = option.value;
  if (expand) {
    value = expand(value);
  } else if (has_variable(value)) {
    if (option.key == "from") {
      mount_error(detail::format_message(messages::k_mount_from_variable, option.key));
    }
    st.spec.needs_expansion = true;
    st.type_deferred = st.type_deferred || option.key == "type";
    st.deferred.insert(option.key);
    return;
  }
  apply_value(st, option.key, value);
}

void check_secret(const MountState& st) {
  const MountSpec& m = st.spec;
  if (!m.from.empty()) {
    mount_error(std::string(messages::k_mount_secret_from));
  }
  if (m.sharing || st.has("sharing")) {
    mount_error(std::string(messages::k_mount_secret_sharing));
  }
  const bool source = !m.source.empty() || st.has("source") || st.has("src");
  const bool target =
      !m.target.empty() || st.has("target") || st.has("dst") || st.has("destination");
  const bool id = !m.id.empty() || st.has("id");
  if (!source && !target && !id) {
    mount_error(std::string(messages::k_mount_secret_target));
  }
  if (source && id) {
    mount_error(std::string(messages::k_mount_source_and_id));
  }
}

void finish(MountState& st) {
  MountSpec& m = st.spec;
  if (st.type_deferred) {
    return; // every remaining check depends on the type
  }
  const bool file_info_allowed =
      m.type == MountType::secret || m.type == MountType::ssh || m.type == MountType::cache;
  const std::string type = go_quoted(to_string(m.type));
  for (const std::string_view key : {"mode", "uid", "gid"}) {
    const bool given = key == "mode"  ? m.mode.has_value()
                       : key == "uid" ? m.uid.has_value()
                                      : m.gid.has_value();
    if (!file_info_allowed && (given || st.has(key))) {
      mount_error(detail::format_message(messages::k_mount_file_info, key, type));
    }
  }
  if (st.ro_auto) {
    m.readonly = !(m.type == MountType::cache || m.type == MountType::tmpfs);
  }
  if (m.type == MountType::secret) {
    check_secret(st);
  }
  if ((m.sharing || st.has("sharing")) && m.type != MountType::cache) {
    mount_error(detail::format_message(messages::k_mount_cache_sharing, to_string(m.type)));
  }
  const bool has_target =
      !m.target.empty() || st.has("target") || st.has("dst") || st.has("destination");
  if (!has_target &&
      (m.type == MountType::bind || m.type == MountType::cache || m.type == MountType::tmpfs)) {
    mount_error(detail::format_message(messages::k_mount_target_required, to_string(m.type)));
  }
}

} // namespace

MountSpec parse_mount(std::string_view text, const WordExpander& expand) {
  MountState st;
  st.spec.text = std::string(text);
  for (const std::string& field : split_csv(text)) {
    apply_field(st, field, expand);
  }
  finish(st);
  return std::move(st.spec);
}

std::string_view to_string(MountType type) { return k_mount_types[static_cast<std::size_t>(type)]; }

std::string_view to_string(MountSharing sharing) {
  return k_sharing_modes[static_cast<std::size_t>(sharing)];
}

std::string_view to_string(NetworkMode mode) {
  switch (mode) {
  case NetworkMode::default_network: return "default";
  case NetworkMode::none: return "none";
  case NetworkMode::host: return "host";
  }
  return "default";
}

std::string_view to_string(SecurityMode mode) {
  return mode == SecurityMode::insecure ? "insecure" : "sandbox";
}

} // namespace strata::parser
