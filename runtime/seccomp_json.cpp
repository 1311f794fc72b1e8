// Docker's JSON seccomp profile format → `SeccompProfile` (moby `profiles/seccomp` types).
#include "runtime/seccomp.hpp"

#include "common/error.hpp"
#include "common/quote.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <utility>

namespace strata::runtime {
namespace {

using nlohmann::json;

// Errors carry the origin; `parse_seccomp_profile` adds it once, at the boundary.
[[noreturn]] void bad(std::string message) {
  throw Error(ErrorKind::usage, std::move(message));
}

SeccompAction parse_action(const json& j) {
  static constexpr std::array<std::pair<std::string_view, SeccompAction>, 9> k_actions{{
      {"SCMP_ACT_KILL", SeccompAction::kill_thread},
      {"SCMP_ACT_KILL_THREAD", SeccompAction::kill_thread},
      {"SCMP_ACT_KILL_PROCESS", SeccompAction::kill_process},
      {"SCMP_ACT_TRAP", SeccompAction::trap},
      {"SCMP_ACT_ERRNO", SeccompAction::errno_ret},
      {"SCMP_ACT_TRACE", SeccompAction::trace},
      {"SCMP_ACT_ALLOW", SeccompAction::allow},
      {"SCMP_ACT_LOG", SeccompAction::log},
      {"SCMP_ACT_NOTIFY", SeccompAction::notify},
  }};
  const auto text = j.get<std::string>();
  for (const auto& [name, action] : k_actions) {
    if (name == text) {
      return action;
    }
  }
  bad(fmt::format("unrecognized seccomp action {}", quote_untrusted(text)));
}

SeccompOp parse_op(const json& j) {
  static constexpr std::array<std::pair<std::string_view, SeccompOp>, 7> k_ops{{
      {"SCMP_CMP_NE", SeccompOp::not_equal},
      {"SCMP_CMP_LT", SeccompOp::less},
      {"SCMP_CMP_LE", SeccompOp::less_equal},
      {"SCMP_CMP_EQ", SeccompOp::equal},
      {"SCMP_CMP_GE", SeccompOp::greater_equal},
      {"SCMP_CMP_GT", SeccompOp::greater},
      {"SCMP_CMP_MASKED_EQ", SeccompOp::masked_equal},
  }};
  const auto text = j.get<std::string>();
  for (const auto& [name, op] : k_ops) {
    if (name == text) {
      return op;
    }
  }
  bad(fmt::format("unrecognized seccomp operator {}", quote_untrusted(text)));
}

// Go decodes a JSON null into an empty slice or string; so do we.
template <typename T> T get_or(const json& obj, const char* key, T fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return fallback;
  }
  return it->get<T>();
}

SeccompFilter parse_filter(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return {};
  }
  return {get_or<std::vector<std::string>>(*it, "caps", {}),
          get_or<std::vector<std::string>>(*it, "arches", {}),
          get_or<std::string>(*it, "minKernel", {})};
}

SeccompArg parse_arg(const json& j) {
  const unsigned index = j.at("index").get<unsigned>();
  if (index > 5) {
    bad(fmt::format("seccomp argument index {} out of range", index));
  }
  return {index, get_or<std::uint64_t>(j, "value", 0), get_or<std::uint64_t>(j, "valueTwo", 0),
          parse_op(j.at("op"))};
}

SeccompRule parse_rule(const json& j) {
  SeccompRule rule;
  rule.names = get_or<std::vector<std::string>>(j, "names", {});
  const auto name = get_or<std::string>(j, "name", {});
  if (!name.empty() && !rule.names.empty()) {
    bad("use either 'name' or 'names'");
  }
  if (!name.empty()) {
    rule.names.push_back(name);
  }
  rule.action = parse_action(j.at("action"));
  if (const auto it = j.find("errnoRet"); it != j.end() && !it->is_null()) {
    rule.errno_ret = it->get<int>();
  }
  for (const auto& arg : get_or<json>(j, "args", json::array())) {
    rule.args.push_back(parse_arg(arg));
  }
  rule.includes = parse_filter(j, "includes");
  rule.excludes = parse_filter(j, "excludes");
  return rule;
}

SeccompProfile parse_document(const json& doc) {
  if (!doc.is_object()) {
    bad("a seccomp profile is a JSON object");
  }
  SeccompProfile p;
  p.default_action = parse_action(doc.at("defaultAction"));
  if (const auto it = doc.find("defaultErrnoRet"); it != doc.end() && !it->is_null()) {
    p.default_errno = it->get<int>();
  }
  p.architectures = get_or<std::vector<std::string>>(doc, "architectures", {});
  for (const auto& m : get_or<json>(doc, "archMap", json::array())) {
    p.arch_map.push_back({m.at("architecture").get<std::string>(),
                          get_or<std::vector<std::string>>(m, "subArchitectures", {})});
  }
  if (!p.architectures.empty() && !p.arch_map.empty()) {
    bad("both 'architectures' and 'archMap' are specified in the seccomp profile, use either "
        "'architectures' or 'archMap'");
  }
  for (const auto& rule : get_or<json>(doc, "syscalls", json::array())) {
    p.syscalls.push_back(parse_rule(rule));
  }
  return p;
}

} // namespace

SeccompProfile parse_seccomp_profile(std::string_view text, std::string_view origin) {
  try {
    return parse_document(json::parse(text));
  } catch (const json::exception& e) {
    throw Error(ErrorKind::usage,
                fmt::format("seccomp profile {}: decoding failed: {}", origin, e.what()));
  } catch (Error& e) {
    e.add_context(fmt::format("seccomp profile {}", origin));
    throw;
  }
}

} // namespace strata::runtime
