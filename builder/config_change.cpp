#include "builder/config_change.hpp"
#include "builder/config_apply.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "parser/ast.hpp"
#include "parser/expand.hpp"
#include "parser/instructions.hpp"
#include "parser/variable_scope.hpp"

namespace strata::builder {
namespace {

using json = nlohmann::json;
using parser::InstructionKind;

json command_json(const parser::CommandLine& command, const json& config) {
  if (command.form == parser::CommandForm::exec) {
    return command.args;
  }
  json shell = config.contains("Shell") && config["Shell"].is_array() && !config["Shell"].empty()
                   ? config["Shell"]
                   : json::array({"/bin/sh", "-c"});
  shell.push_back(command.args.empty() ? std::string() : command.args.front());
  return shell;
}

void set_env(json& config, const std::string& key, const std::string& value) {
  json& env = config["Env"];
  if (!env.is_array()) {
    env = json::array();
  }
  const std::string entry = key + "=" + value;
  for (auto& e : env) {
    if (e.is_string() && e.get<std::string>().starts_with(key + "=")) {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

std::string join_workdir(const json& config, const std::string& path) {
  if (path.starts_with("/")) {
    return path;
  }
  std::string base = config.value("WorkingDir", std::string("/"));
  if (base.empty()) {
    base = "/";
  }
  return base.ends_with("/") ? base + path : base + "/" + path;
}

std::string port_key(const std::string& port) {
  return port.find('/') == std::string::npos ? port + "/tcp" : port;
}

json healthcheck_json(const parser::HealthcheckInstruction& h, const json& config) {
  if (h.none) {
    return {{"Test", json::array({"NONE"})}};
  }
  json test = json::array();
  if (h.command.form == parser::CommandForm::exec) {
    test.push_back("CMD");
    for (const auto& a : h.command.args) {
      test.push_back(a);
    }
  } else {
    test = json::array({"CMD-SHELL", h.command.args.empty() ? "" : h.command.args.front()});
  }
  (void)config;
  json out = {{"Test", test}};
  if (h.interval.count() != 0) out["Interval"] = h.interval.count();
  if (h.timeout.count() != 0) out["Timeout"] = h.timeout.count();
  if (h.start_period.count() != 0) out["StartPeriod"] = h.start_period.count();
  if (h.start_interval.count() != 0) out["StartInterval"] = h.start_interval.count();
  if (h.retries) out["Retries"] = *h.retries;
  return out;
}

} // namespace

void apply_config_instruction(json& config, const parser::Instruction& inst, bool& cmd_set) {
  switch (inst.kind) {
  case InstructionKind::cmd:
    config["Cmd"] = command_json(inst.as<parser::CmdInstruction>().command, config);
    cmd_set = true;
    break;
  case InstructionKind::entrypoint:
    config["Entrypoint"] = command_json(inst.as<parser::EntrypointInstruction>().command, config);
    if (!cmd_set) {
      config["Cmd"] = nullptr;
    }
    break;
  case InstructionKind::env:
    for (const auto& kv : inst.as<parser::EnvInstruction>().pairs) {
      set_env(config, kv.key, kv.value);
    }
    break;
  case InstructionKind::label:
    for (const auto& kv : inst.as<parser::LabelInstruction>().pairs) {
      config["Labels"][kv.key] = kv.value;
    }
    break;
  case InstructionKind::expose:
    for (const auto& p : inst.as<parser::ExposeInstruction>().ports) {
      config["ExposedPorts"][port_key(p.value)] = json::object();
    }
    break;
  case InstructionKind::volume:
    for (const auto& v : inst.as<parser::VolumeInstruction>().volumes) {
      config["Volumes"][v.value] = json::object();
    }
    break;
  case InstructionKind::user:
    config["User"] = inst.as<parser::UserInstruction>().user.value;
    break;
  case InstructionKind::workdir:
    config["WorkingDir"] = join_workdir(config, inst.as<parser::WorkdirInstruction>().path.value);
    break;
  case InstructionKind::stopsignal:
    config["StopSignal"] = inst.as<parser::StopSignalInstruction>().signal.value;
    break;
  case InstructionKind::onbuild:
    config["OnBuild"].push_back(inst.as<parser::OnbuildInstruction>().expression);
    break;
  case InstructionKind::shell:
    config["Shell"] = inst.as<parser::ShellInstruction>().shell;
    break;
  case InstructionKind::healthcheck:
    config["Healthcheck"] = healthcheck_json(inst.as<parser::HealthcheckInstruction>(), config);
    break;
  default:
    throw Error(ErrorKind::usage,
                fmt::format("{} is not a valid change command", inst.keyword));
  }
}

namespace {

parser::Env env_of(const json& config) {
  parser::Env env;
  if (config.contains("Env") && config["Env"].is_array()) {
    for (const auto& e : config["Env"]) {
      if (!e.is_string()) {
        continue;
      }
      const std::string s = e.get<std::string>();
      const auto eq = s.find('=');
      env[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
    }
  }
  return env;
}

} // namespace

std::string apply_changes(std::string_view config_json, const std::vector<std::string>& changes) {
  json doc = json::parse(config_json, nullptr, false);
  if (!doc.is_object()) {
    throw Error(ErrorKind::corrupt, "image config is not a JSON object");
  }
  json& config = doc["config"];
  if (!config.is_object()) {
    config = json::object();
  }
  bool cmd_set = false;
  for (const auto& change : changes) {
    try {
      const parser::Ast ast = parser::parse_dockerfile(change, "change");
      const parser::BuildInputs inputs;
      parser::VariableScope scope('\\', inputs);
      scope.set_all(env_of(config), true);
      for (const auto& inst : parser::to_instructions(ast)) {
        apply_config_instruction(config, parser::expand_step(inst, scope, ast), cmd_set);
      }
    } catch (const Error& e) {
      throw Error(ErrorKind::usage, fmt::format("invalid --change \"{}\": {}", change, e.what()));
    }
  }
  return doc.dump();
}

} // namespace strata::builder
