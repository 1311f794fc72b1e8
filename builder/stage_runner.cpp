// One stage of a build: its base (scratch, an image, an earlier stage), then each step in order —
// expanded in the stage's ARG/ENV scope, looked up in the cache by its key, executed on a miss
// and recorded. See build.hpp for the whole recipe.

#include <deque>

#include <fmt/format.h>

#include "builder/build_session.hpp"
#include "builder/cache_key.hpp"
#include "builder/config_apply.hpp"
#include "builder/step_files.hpp"
#include "builder/step_layer.hpp"
#include "builder/step_run.hpp"
#include "builder/step_text.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "parser/expand.hpp"
#include "runtime/exec_path.hpp"

namespace strata::builder {
namespace {

using nlohmann::json;
using parser::InstructionKind;

// BuildKit's empty image: what `FROM scratch` starts from.
ImageState scratch_state(const BuildSession& session) {
  ImageState state;
  const std::string& platform = session.options.platform;
  const std::size_t slash = platform.find('/');
  state.config = {
      {"architecture", slash == std::string::npos ? "amd64" : platform.substr(slash + 1)},
      {"os", "linux"},
      {"config", {{"Env", json::array({std::string("PATH=") + runtime::k_default_path})}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
      {"history", json::array()}};
  state.identity = scratch_identity();
  return state;
}

parser::Env env_of(const json& config) {
  parser::Env env;
  if (const auto it = config.find("Env"); it != config.end() && it->is_array()) {
    for (const json& e : *it) {
      if (e.is_string()) {
        const std::string s = e.get<std::string>();
        const std::size_t eq = s.find('=');
        env[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
      }
    }
  }
  return env;
}

// BuildKit adds the default PATH to a base image's config that has none.
void add_default_path(json& config) {
  json& env = config["Env"];
  if (!env.is_array()) {
    env = json::array();
  }
  for (const json& e : env) {
    if (e.is_string() && e.get<std::string>().starts_with("PATH=")) {
      return;
    }
  }
  env.push_back(std::string("PATH=") + runtime::k_default_path);
}

bool is_config_only(InstructionKind kind) {
  switch (kind) {
  case InstructionKind::cmd:
  case InstructionKind::entrypoint:
  case InstructionKind::env:
  case InstructionKind::label:
  case InstructionKind::expose:
  case InstructionKind::volume:
  case InstructionKind::user:
  case InstructionKind::stopsignal:
  case InstructionKind::onbuild:
  case InstructionKind::shell:
  case InstructionKind::healthcheck:
    return true;
  default:
    return false;
  }
}

class StageRunner {
public:
  StageRunner(BuildSession& session, std::size_t index)
      : s_(session), stage_(session.graph.stages().at(index)),
        scope_(session.ast.escape, session.inputs) {
    total_ = stage_.steps.size() + 1;
    if (!stage_.name.empty()) {
      prefix_ = stage_.name + " ";
    } else if (session.total_stages > 1) {
      prefix_ = fmt::format("stage-{} ", stage_.index);
    }
  }

  ImageState run() {
    start_base();
    std::size_t number = 2;
    for (const std::size_t index : stage_.steps) {
      step(s_.ast, s_.graph.instructions().at(index), number++, index, "");
    }
    flush_records();
    return std::move(state_);
  }

  // Cache records are written once their layers' blobs are (layer_pipeline.hpp).
  void flush_records() {
    for (auto& [key, state] : records_) {
      resolve_layers(s_, state);
      s_.cache.record(key, state);
    }
    records_.clear();
  }

  // What succeeded stays cached when a later step fails (BuildKit keeps it too).
  void flush_records_after_failure() noexcept {
    try {
      flush_records();
    } catch (const std::exception& e) {
      log::warn("could not record the build cache of the steps before the failure: {}", e.what());
    }
  }

private:
  void start_base() {
    const parser::Instruction& from = s_.graph.instructions().at(stage_.from_instruction);
    if (!stage_.platform.empty() && stage_.platform != s_.options.platform) {
      throw Error(ErrorKind::unsupported,
                  fmt::format("FROM --platform={}: only {} (this machine's) is supported",
                              stage_.platform, s_.options.platform),
                  from.range(s_.file_label));
    }
    try {
      if (stage_.base_stage) {
        state_ = *s_.stage_results.at(*stage_.base_stage);
      } else if (stage_.is_scratch()) {
        state_ = scratch_state(s_);
      } else {
        const int vertex = s_.progress.begin(fmt::format("[{}1/{}] FROM {}", prefix_, total_, stage_.base));
        state_ = image_state(s_, stage_.base);
        s_.progress.done(vertex);
      }
    } catch (Error& e) {
      throw Error(e.kind(), e.message(), from.range(s_.file_label));
    }
    add_default_path(state_.image_config());
    scope_.set_inherited(s_.graph.global_values());
    scope_.set_all(env_of(state_.image_config()), true);
    run_triggers(from);
  }

  // The base image's ONBUILD triggers run first, as steps of this stage (Docker's rule); they
  // are not inherited by the new image.
  void run_triggers(const parser::Instruction& from) {
    json& config = state_.image_config();
    const json triggers = config.value("OnBuild", json::array());
    config.erase("OnBuild");
    std::size_t i = 0;
    for (const json& trigger : triggers) {
      if (!trigger.is_string()) {
        continue;
      }
      try {
        trigger_asts_.push_back(parser::parse_dockerfile(trigger.get<std::string>(), "ONBUILD"));
        for (const parser::Instruction& inst : parser::to_instructions(trigger_asts_.back())) {
          refuse_stage_reference(inst);
          step(trigger_asts_.back(), inst, 1, 100000 + i++, "ONBUILD ");
        }
      } catch (StepError&) {
        throw;
      } catch (Error& e) {
        throw Error(e.kind(), fmt::format("ONBUILD trigger {}: {}", trigger.dump(), e.message()),
                    from.range(s_.file_label));
      }
    }
  }

  // A trigger is parsed only now, so the flow graph has no edge for a stage it names: refused,
  // as older BuildKit did (an image by name is fine).
  void refuse_stage_reference(const parser::Instruction& inst) const {
    std::vector<std::string> names;
    if (inst.kind == InstructionKind::copy) {
      if (const auto& from = inst.as<parser::CopyInstruction>().from) {
        names.push_back(from->value);
      }
    } else if (inst.kind == InstructionKind::run) {
      for (const parser::MountSpec& m : inst.as<parser::RunInstruction>().mounts) {
        names.push_back(m.from);
      }
    }
    for (const std::string& name : names) {
      if (!name.empty() && s_.graph.find_stage(name)) {
        throw Error(ErrorKind::unsupported,
                    fmt::format("an ONBUILD trigger cannot refer to the build stage {}", name));
      }
    }
  }

  bool no_cache() const {
    if (s_.options.no_cache) {
      return true;
    }
    for (const std::string& name : s_.options.no_cache_filter) {
      if (name == stage_.name || name == std::to_string(stage_.index)) {
        return true;
      }
    }
    return false;
  }

  StepInputs inputs_for(const parser::Instruction& inst, const std::optional<FileSources>& files) {
    StepInputs in;
    in.parent = state_.identity;
    in.instruction = canonical_text(s_.ast, inst);
    if (s_.options.source_date_epoch) {
      // SOURCE_DATE_EPOCH clamps the step's times and its layer's mtimes: another result.
      in.instruction += fmt::format("\nsource_date_epoch={}", *s_.options.source_date_epoch);
    }
    if (inst.kind == InstructionKind::run) {
      in.args = run_build_args(scope_);
      in.files = run_mount_inputs(s_, inst);
      // The build's --network changes what a RUN can do (the instruction's own flag is in its text).
      in.instruction += fmt::format("\nnetwork={}", static_cast<int>(s_.options.network));
    }
    if (files) {
      in.files = files->digests();
    }
    return in;
  }

  store::Digest slot_of(std::size_t index) const {
    CacheKeyBuilder key;
    key.add("dockerfile", s_.options.dockerfile_path);
    key.add("context", s_.options.context_dir);
    key.add("step", std::to_string(index));
    return key.finish();
  }

  void execute(const parser::Instruction& inst, std::optional<FileSources>& files,
               const std::map<std::string, std::string>& args, int vertex) {
    if (is_config_only(inst.kind)) {
      apply_config_instruction(state_.image_config(), inst, cmd_set_);
      add_history(s_, state_, config_created_by(inst, state_.image_config()), true);
      return;
    }
    switch (inst.kind) {
    case InstructionKind::arg:
    case InstructionKind::maintainer:
      if (inst.kind == InstructionKind::maintainer) {
        state_.config["author"] = inst.as<parser::MaintainerInstruction>().name.value;
      }
      add_history(s_, state_, config_created_by(inst, state_.image_config()), true);
      return;
    case InstructionKind::workdir:
      apply_config_instruction(state_.image_config(), inst, cmd_set_);
      workdir_step(s_, state_, inst);
      return;
    case InstructionKind::run:
      run_step(s_, state_, inst, args, vertex);
      return;
    case InstructionKind::copy:
    case InstructionKind::add:
      files->apply(s_, state_, inst);
      return;
    default:
      throw Error(ErrorKind::unsupported, fmt::format("{} is not supported here", inst.keyword));
    }
  }

  void step(const parser::Ast& ast, const parser::Instruction& raw, std::size_t number,
            std::size_t index, std::string_view label) {
    s_.check_cancelled();
    const parser::Instruction inst = parser::expand_step(raw, scope_, ast);
    const int vertex = s_.progress.begin(
        fmt::format("[{}{}/{}] {}{}", prefix_, number, total_, label, raw.original));
    try {
      std::optional<FileSources> files;
      if (inst.kind == InstructionKind::copy || inst.kind == InstructionKind::add) {
        files.emplace(s_, inst);
      }
      const StepInputs in = inputs_for(inst, files);
      const store::Digest key = in.key();
      if (inst.kind == InstructionKind::cmd) {
        cmd_set_ = true;
      }
      if (!no_cache()) {
        if (std::optional<ImageState> hit = s_.cache.lookup(key)) {
          state_ = std::move(*hit);
          s_.note_key(stage_.index, key);
          s_.progress.cached(vertex);
          return;
        }
      }
      if (s_.progress.explaining()) {
        StepInputs detailed = in;
        if (files && !files->entry_digests().empty()) {
          detailed.files = files->entry_digests();
        }
        s_.progress.explain(vertex, s_.cache.explain_miss(slot_of(index), detailed));
      }
      execute(inst, files, in.args, vertex);
      state_.identity = key;
      records_.emplace_back(key, state_);
      s_.note_key(stage_.index, key);
      s_.progress.done(vertex);
    } catch (Error& e) {
      if (e.kind() != ErrorKind::cancelled) {
        s_.progress.error(vertex, e.message());
      }
      s_.fail();
      flush_records_after_failure();
      if (e.kind() == ErrorKind::cancelled) {
        throw;
      }
      const SourceRange where = &ast == &s_.ast
                                    ? raw.range(s_.file_label)
                                    : s_.graph.instructions().at(stage_.from_instruction).range(s_.file_label);
      throw StepError(e, where, s_.progress.name(vertex), s_.progress.tail(vertex, 10));
    }
  }

  BuildSession& s_;
  const parser::Stage& stage_;
  parser::VariableScope scope_;
  ImageState state_;
  std::string prefix_;
  std::size_t total_ = 0;
  bool cmd_set_ = false;
  std::deque<parser::Ast> trigger_asts_;
  std::vector<std::pair<store::Digest, ImageState>> records_;
};

} // namespace

ImageState run_stage(BuildSession& session, std::size_t stage) {
  return StageRunner(session, stage).run();
}

} // namespace strata::builder
