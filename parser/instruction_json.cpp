// JSON rendering of instructions (see instruction_json.hpp for the document shape).
//
// Kind-specific members, by "kind":
//   from         base, stage_name|null, platform|null
//   run          command, mounts[], network, security
//   cmd, entrypoint  command
//   shell        shell[]
//   env, label   pairs[{key, value, legacy}]
//   arg          args[{name, default|null}]
//   expose       ports[]            volume  volumes[]
//   user         user               workdir path
//   stopsignal   signal             maintainer name
//   copy, add    sources[], inline_sources[heredoc], destination, chown|null, chmod|null, link,
//                excludes[]; copy: from|null, parents; add: checksum|null, keep_git_dir
//   onbuild      expression, trigger{instruction}
//   healthcheck  none, command|null, interval_ns, timeout_ns, start_period_ns,
//                start_interval_ns, retries|null
// where command = {form: "shell"|"exec", args[], heredocs[]} and
// heredoc = {name, content, expand, chomp, fd}.

#include "parser/instruction_json.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace strata::parser {
namespace {

using Json = nlohmann::ordered_json;

Json optional_word(const std::optional<Word>& word) {
  return word ? Json(word->value) : Json(nullptr);
}

Json words(const std::vector<Word>& list) {
  Json out = Json::array();
  for (const Word& word : list) {
    out.push_back(word.value);
  }
  return out;
}

Json heredoc(const HeredocFile& file) {
  return Json{{"name", file.name},
              {"content", file.content},
              {"expand", file.expand},
              {"chomp", file.chomp},
              {"fd", file.fd}};
}

Json command(const CommandLine& line) {
  Json heredocs = Json::array();
  for (const HeredocFile& file : line.heredocs) {
    heredocs.push_back(heredoc(file));
  }
  return Json{{"form", line.form == CommandForm::exec ? "exec" : "shell"},
              {"args", line.args},
              {"heredocs", std::move(heredocs)}};
}

template <typename T> Json optional_value(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json mount(const MountSpec& m) {
  return Json{{"type", to_string(m.type)},
              {"text", m.text},
              {"target", m.target},
              {"source", m.source},
              {"from", m.from},
              {"id", m.id},
              {"env", optional_value(m.env)},
              {"sharing", m.sharing ? Json(to_string(*m.sharing)) : Json(nullptr)},
              {"readonly", m.readonly},
              {"required", m.required},
              {"mode", optional_value(m.mode)},
              {"uid", optional_value(m.uid)},
              {"gid", optional_value(m.gid)},
              {"size", optional_value(m.size)},
              {"needs_expansion", m.needs_expansion}};
}

Json pairs(const std::vector<KeyValue>& list) {
  Json out = Json::array();
  for (const KeyValue& kv : list) {
    out.push_back(Json{{"key", kv.key}, {"value", kv.value}, {"legacy", kv.legacy}});
  }
  return out;
}

void transfer(Json& j, const FileTransfer& t) {
  j["sources"] = words(t.sources);
  Json inline_sources = Json::array();
  for (const HeredocFile& file : t.inline_sources) {
    inline_sources.push_back(heredoc(file));
  }
  j["inline_sources"] = std::move(inline_sources);
  j["destination"] = t.destination.value;
  j["chown"] = optional_word(t.chown);
  j["chmod"] = optional_word(t.chmod);
  j["link"] = t.link;
  j["excludes"] = words(t.excludes);
}

Json flags(const std::vector<Flag>& list) {
  Json out = Json::object();
  for (const Flag& flag : list) {
    if (flag.name == "mount" || flag.name == "exclude") {
      out[flag.name].push_back(flag.value);
    } else if (!flag.has_value) {
      out[flag.name] = true;
    } else {
      out[flag.name] = flag.value;
    }
  }
  return out;
}

Json instruction(const Instruction& ins);

// Adds the kind-specific members; one overload per alternative of `InstructionDetails`.
struct Details {
  Json& j;
  void operator()(const FromInstruction& d) const {
    j["base"] = d.base.value;
    j["stage_name"] = optional_word(d.stage_name);
    j["platform"] = optional_word(d.platform);
  }
  void operator()(const RunInstruction& d) const {
    j["command"] = command(d.command);
    Json mounts = Json::array();
    for (const MountSpec& m : d.mounts) {
      mounts.push_back(mount(m));
    }
    j["mounts"] = std::move(mounts);
    j["network"] = to_string(d.network);
    j["security"] = to_string(d.security);
  }
  void operator()(const CmdInstruction& d) const { j["command"] = command(d.command); }
  void operator()(const EntrypointInstruction& d) const { j["command"] = command(d.command); }
  void operator()(const ShellInstruction& d) const { j["shell"] = d.shell; }
  void operator()(const LabelInstruction& d) const { j["pairs"] = pairs(d.pairs); }
  void operator()(const EnvInstruction& d) const { j["pairs"] = pairs(d.pairs); }
  void operator()(const ArgInstruction& d) const {
    Json args = Json::array();
    for (const ArgDefinition& a : d.args) {
      args.push_back(Json{{"name", a.name}, {"default", optional_value(a.default_value)}});
    }
    j["args"] = std::move(args);
  }
  void operator()(const ExposeInstruction& d) const { j["ports"] = words(d.ports); }
  void operator()(const AddInstruction& d) const {
    transfer(j, d);
    j["checksum"] = optional_word(d.checksum);
    j["keep_git_dir"] = d.keep_git_dir;
  }
  void operator()(const CopyInstruction& d) const {
    transfer(j, d);
    j["from"] = optional_word(d.from);
    j["parents"] = d.parents;
  }
  void operator()(const VolumeInstruction& d) const { j["volumes"] = words(d.volumes); }
  void operator()(const UserInstruction& d) const { j["user"] = d.user.value; }
  void operator()(const WorkdirInstruction& d) const { j["path"] = d.path.value; }
  void operator()(const OnbuildInstruction& d) const {
    j["expression"] = d.expression;
    j["trigger"] = d.trigger.empty() ? Json(nullptr) : instruction(d.trigger.front());
  }
  void operator()(const StopSignalInstruction& d) const { j["signal"] = d.signal.value; }
  void operator()(const HealthcheckInstruction& d) const {
    j["none"] = d.none;
    j["command"] = d.none ? Json(nullptr) : command(d.command);
    j["interval_ns"] = d.interval.count();
    j["timeout_ns"] = d.timeout.count();
    j["start_period_ns"] = d.start_period.count();
    j["start_interval_ns"] = d.start_interval.count();
    j["retries"] = optional_value(d.retries);
  }
  void operator()(const MaintainerInstruction& d) const { j["name"] = d.name.value; }
};

Json instruction(const Instruction& ins) {
  Json j{{"kind", to_string(ins.kind)}, {"keyword", ins.keyword},   {"line", ins.line},
         {"column", ins.column},        {"end_line", ins.end_line}, {"original", ins.original},
         {"flags", flags(ins.flags)}};
  std::visit(Details{j}, ins.details);
  return j;
}

Json document(const Ast& ast, const std::vector<Instruction>& instructions) {
  Json directives = Json::array();
  for (const Directive& d : ast.directives) {
    directives.push_back(Json{{"name", d.name}, {"value", d.value}, {"line", d.line}});
  }
  Json warnings = Json::array();
  for (const Warning& w : ast.warnings) {
    warnings.push_back(Json{{"message", w.message}, {"line", w.line}});
  }
  Json list = Json::array();
  for (const Instruction& ins : instructions) {
    list.push_back(instruction(ins));
  }
  return Json{{"file", ast.file},
              {"escape", std::string(1, ast.escape)},
              {"directives", std::move(directives)},
              {"warnings", std::move(warnings)},
              {"instructions", std::move(list)}};
}

std::string render(const Json& j, int indent) {
  // Invalid UTF-8 in a Dockerfile must not make rendering throw: replace it with U+FFFD.
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

} // namespace

std::string to_json(const Ast& ast, const std::vector<Instruction>& instructions, int indent) {
  return render(document(ast, instructions), indent);
}

std::string to_json(const Ast& ast, const std::vector<Instruction>& instructions,
                    std::string_view stages_json, int indent) {
  Json j = document(ast, instructions);
  try {
    j["stages"] = Json::parse(stages_json);
  } catch (const Json::parse_error& e) {
    throw Error(ErrorKind::internal, std::string("stages JSON is not valid: ") + e.what());
  }
  return render(j, indent);
}

} // namespace strata::parser
