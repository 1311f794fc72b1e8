// `expand_step`: BuildKit's `Expand` methods and its dispatch-time expansion of EXPOSE and mounts.

#include "parser/expand.hpp"

#include <utility>

#include "common/error.hpp"
#include "parser/shell_lexer.hpp"

namespace strata::parser {
namespace {

class StepExpander {
public:
  StepExpander(const Instruction& inst, VariableScope& scope, const Ast& ast)
      : inst_(inst), scope_(scope), ast_(ast) {}

  [[noreturn]] void fail(LineColumn where, std::string message) const {
    if (where.line == 0) {
      where = {inst_.line, inst_.column};
    }
    throw_parse_error(ast_, where, std::move(message));
  }

  std::string word(std::string_view value, LineColumn where) const {
    try {
      return scope_.expand_word(value);
    } catch (const Error& e) {
      fail(where, e.message());
    }
  }
  void word(Word& w) const { w.value = word(w.value, w.position); }
  void word(std::optional<Word>& w) const {
    if (w) {
      word(*w);
    }
  }
  void words(std::vector<Word>& ws) const {
    for (Word& w : ws) {
      word(w);
    }
  }
  void pairs(std::vector<KeyValue>& kvs) const {
    for (KeyValue& kv : kvs) {
      kv.key = word(kv.key, kv.position);
      kv.value = word(kv.value, kv.position);
    }
  }

  void transfer(FileTransfer& t) const {
    words(t.sources);
    word(t.destination);
    word(t.chown);
    word(t.chmod);
    words(t.excludes);
    if (t.chown && t.chown->value.empty()) {
      t.chown.reset(); // `--chown=$UNSET` is no --chown at all
    }
    if (t.chmod && t.chmod->value.empty()) {
      t.chmod.reset();
    }
    if (t.chmod) {
      try {
        check_chmod(t.chmod->value);
      } catch (const Error& e) {
        fail(t.chmod->position, e.message());
      }
    }
    for (HeredocFile& file : t.inline_sources) {
      if (file.expand) {
        file.content = heredoc_body(file.content);
      }
    }
  }

  // Heredoc bodies expand with `\` as the escape and quotes as ordinary characters.
  std::string heredoc_body(const std::string& body) const {
    LexOptions options;
    options.skip_process_quotes = true;
    try {
      return ShellLexer(options).process_word(body, scope_.visible()).word;
    } catch (const Error& e) {
      fail({}, e.message());
    }
  }

  void expose(ExposeInstruction& e) const {
    std::vector<Word> out;
    for (const Word& port : e.ports) {
      try {
        for (auto& part : scope_.expand_words(port.value)) {
          out.push_back({std::move(part), port.position});
        }
      } catch (const Error& err) {
        fail(port.position, err.message());
      }
    }
    e.ports = std::move(out);
  }

  void run(RunInstruction& r) const {
    for (MountSpec& mount : r.mounts) {
      if (!mount.needs_expansion) {
        continue;
      }
      try {
        const LineColumn position = mount.position;
        mount = parse_mount(mount.text, [this](std::string_view v) { return scope_.expand_word(v); });
        mount.position = position;
      } catch (const Error& e) {
        fail(mount.position, e.message());
      }
    }
  }

  void env(EnvInstruction& e) const {
    pairs(e.pairs);
    for (const KeyValue& kv : e.pairs) {
      scope_.set_env(kv.key, kv.value);
    }
  }

  void arg(ArgInstruction& a) const {
    for (ArgDefinition& def : a.args) {
      if (def.default_value) {
        def.default_value = word(*def.default_value, def.position);
      }
    }
    for (const ArgDefinition& def : a.args) {
      scope_.declare_arg(def.name, def.default_value);
    }
  }

  Instruction run_all() const {
    Instruction out = inst_;
    std::visit([this](auto& details) { apply(details); }, out.details);
    return out;
  }

private:
  void apply(EnvInstruction& d) const { env(d); }
  void apply(ArgInstruction& d) const { arg(d); }
  void apply(LabelInstruction& d) const { pairs(d.pairs); }
  void apply(CopyInstruction& d) const {
    transfer(d);
    word(d.from);
    if (d.from && d.from->value.empty()) {
      d.from.reset(); // `--from=$UNSET` copies from the build context, as in BuildKit
    }
  }
  void apply(AddInstruction& d) const {
    transfer(d);
    word(d.checksum);
  }
  void apply(WorkdirInstruction& d) const { word(d.path); }
  void apply(UserInstruction& d) const { word(d.user); }
  void apply(VolumeInstruction& d) const { words(d.volumes); }
  void apply(StopSignalInstruction& d) const { word(d.signal); }
  void apply(ExposeInstruction& d) const { expose(d); }
  void apply(RunInstruction& d) const { run(d); }
  template <typename Other> void apply(Other& /*unexpanded*/) const {}

  const Instruction& inst_;
  VariableScope& scope_;
  const Ast& ast_;
};

} // namespace

Instruction expand_step(const Instruction& inst, VariableScope& scope, const Ast& ast) {
  return StepExpander(inst, scope, ast).run_all();
}

} // namespace strata::parser
