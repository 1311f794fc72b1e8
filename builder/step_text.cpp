#include "builder/step_text.hpp"

#include <fmt/format.h>

#include "parser/instruction_json.hpp"

namespace strata::builder {
namespace {

using nlohmann::json;
using parser::InstructionKind;

std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    default: out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string> strings_of(const json& value) {
  std::vector<std::string> out;
  if (value.is_array()) {
    for (const json& item : value) {
      out.push_back(item.is_string() ? item.get<std::string>() : item.dump());
    }
  }
  return out;
}

std::string pairs_text(const std::vector<parser::KeyValue>& pairs) {
  std::string out;
  for (const auto& kv : pairs) {
    out += (out.empty() ? "" : " ") + kv.key + "=" + kv.value;
  }
  return out;
}

std::string words_text(const std::vector<parser::Word>& words) {
  std::string out;
  for (const auto& w : words) {
    out += (out.empty() ? "" : " ") + w.value;
  }
  return out;
}

// Go's `%v` of a []string: `[a b]`.
std::string go_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : " ") + items[i];
  }
  return out + "]";
}

// Go's time.Duration.String(): "0s", "500ms", "1m30s", "1h0m0s".
std::string go_duration(std::int64_t ns) {
  if (ns == 0) {
    return "0s";
  }
  if (ns < 1'000'000'000 && ns > -1'000'000'000) {
    if (ns % 1'000'000 == 0) {
      return fmt::format("{}ms", ns / 1'000'000);
    }
    if (ns % 1000 == 0) {
      return fmt::format("{}µs", ns / 1000);
    }
    return fmt::format("{}ns", ns);
  }
  const std::int64_t hours = ns / 3'600'000'000'000;
  const std::int64_t minutes = ns / 60'000'000'000 % 60;
  const std::int64_t nanos = ns % 60'000'000'000;
  std::string seconds = fmt::format("{}", nanos / 1'000'000'000);
  if (const std::int64_t frac = nanos % 1'000'000'000; frac != 0) {
    std::string digits = fmt::format("{:09}", frac);
    digits.erase(digits.find_last_not_of('0') + 1);
    seconds += "." + digits;
  }
  if (hours > 0) {
    return fmt::format("{}h{}m{}s", hours, minutes, seconds);
  }
  if (minutes > 0) {
    return fmt::format("{}m{}s", minutes, seconds);
  }
  return seconds + "s";
}

} // namespace

std::string go_quoted_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : " ") + go_quote(items[i]);
  }
  return out + "]";
}

std::string canonical_text(const parser::Ast& ast, const parser::Instruction& inst) {
  json doc = json::parse(parser::to_json(ast, {inst}, -1));
  json one = doc.at("instructions").at(0);
  for (const char* key : {"line", "column", "end_line", "original"}) {
    one.erase(key);
  }
  return one.dump();
}

std::string config_created_by(const parser::Instruction& inst, const json& config) {
  switch (inst.kind) {
  case InstructionKind::env: return "ENV " + pairs_text(inst.as<parser::EnvInstruction>().pairs);
  case InstructionKind::label:
    return "LABEL " + pairs_text(inst.as<parser::LabelInstruction>().pairs);
  case InstructionKind::cmd: return "CMD " + go_quoted_list(strings_of(config.value("Cmd", json())));
  case InstructionKind::entrypoint:
    return "ENTRYPOINT " + go_quoted_list(strings_of(config.value("Entrypoint", json())));
  case InstructionKind::shell:
    return "SHELL " + go_list(inst.as<parser::ShellInstruction>().shell);
  case InstructionKind::expose: {
    std::string ports;
    const json exposed = config.value("ExposedPorts", json::object());
    for (const auto& [port, _] : exposed.items()) {
      ports += (ports.empty() ? "" : " ") + port + ":{}";
    }
    return "EXPOSE map[" + ports + "]";
  }
  case InstructionKind::volume:
    return "VOLUME " + go_list([&] {
             std::vector<std::string> v;
             for (const auto& w : inst.as<parser::VolumeInstruction>().volumes) {
               v.push_back(w.value);
             }
             return v;
           }());
  case InstructionKind::user: return "USER " + inst.as<parser::UserInstruction>().user.value;
  case InstructionKind::workdir: return "WORKDIR " + config.value("WorkingDir", std::string());
  case InstructionKind::stopsignal:
    return "STOPSIGNAL " + inst.as<parser::StopSignalInstruction>().signal.value;
  case InstructionKind::onbuild:
    return "ONBUILD " + inst.as<parser::OnbuildInstruction>().expression;
  case InstructionKind::maintainer:
    return "MAINTAINER " + inst.as<parser::MaintainerInstruction>().name.value;
  case InstructionKind::healthcheck: {
    // Go's `%q` of BuildKit's *HealthConfig: the test, four durations, the retries as a rune.
    const json hc = config.value("Healthcheck", json::object());
    const auto duration = [&hc](const char* key) {
      return go_quote(go_duration(hc.value(key, std::int64_t{0})));
    };
    return fmt::format("HEALTHCHECK &{{{} {} {} {} {} '\\x{:02x}'}}",
                       go_quoted_list(strings_of(hc.value("Test", json::array()))),
                       duration("Interval"), duration("Timeout"), duration("StartPeriod"),
                       duration("StartInterval"), hc.value("Retries", 0) & 0xff);
  }
  case InstructionKind::arg: {
    std::string out;
    for (const auto& a : inst.as<parser::ArgInstruction>().args) {
      out += (out.empty() ? "" : " ") + a.name + (a.default_value ? "=" + *a.default_value : "");
    }
    return "ARG " + out;
  }
  default: return inst.keyword + " " + inst.original;
  }
}

std::string run_created_by(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& args) {
  std::string out = "RUN ";
  if (!args.empty()) {
    out += fmt::format("|{}", args.size());
    for (const auto& [key, value] : args) {
      out += " " + key + "=" + value;
    }
    out += " ";
  }
  for (std::size_t i = 0; i < argv.size(); ++i) {
    out += (i == 0 ? "" : " ") + argv[i];
  }
  return out + " # buildkit";
}

std::string copy_created_by(const parser::Instruction& inst) {
  const auto& t = inst.kind == InstructionKind::copy
                      ? static_cast<const parser::FileTransfer&>(inst.as<parser::CopyInstruction>())
                      : static_cast<const parser::FileTransfer&>(inst.as<parser::AddInstruction>());
  std::string out = inst.kind == InstructionKind::copy ? "COPY " : "ADD ";
  if (inst.kind == InstructionKind::copy) {
    if (const auto& from = inst.as<parser::CopyInstruction>().from) {
      out += "--from=" + from->value + " ";
    }
  }
  if (t.chown) {
    out += "--chown=" + t.chown->value + " ";
  }
  if (t.chmod) {
    out += "--chmod=" + t.chmod->value + " ";
  }
  out += words_text(t.sources);
  for (const auto& h : t.inline_sources) {
    out += (out.ends_with(' ') ? "" : " ") + std::string("<<") + h.name;
  }
  return out + " " + t.destination.value + " # buildkit";
}

} // namespace strata::builder
