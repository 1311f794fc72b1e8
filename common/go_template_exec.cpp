// Executes a parsed template (Go's exec.go): walking the tree, evaluating pipelines, fields,
// variables and function calls over JSON values.

#include "common/go_template_exec.hpp"

#include "common/error.hpp"
#include "common/go_template_funcs.hpp"

#include <fmt/format.h>

#include <optional>

namespace strata::go_template {

namespace {

using nlohmann::json;

// Thrown by {{break}} and {{continue}}, caught by the innermost {{range}} (the parser rejects
// them outside a range).
struct LoopSignal {
  Node::Kind kind;
};

class Exec {
public:
  Exec(const Tree& tree, MissingKey missing, FuncMode mode)
      : tree_(tree), missing_(missing), mode_(mode) {}

  std::string run(const json& data) {
    const Value dot = Value::borrow(data);
    vars_.emplace_back("$", dot);
    walk_list(dot, tree_.root);
    return std::move(out_);
  }

private:
  void walk_list(const Value& dot, const List& list) {
    for (const Node& node : list) {
      walk(dot, node);
    }
  }

  void walk(const Value& dot, const Node& node) {
    switch (node.kind) {
    case Node::Kind::text: out_ += node.text; break;
    case Node::Kind::action: {
      const Value value = eval_pipeline(dot, *node.pipe);
      if (node.pipe->decl.empty()) {
        out_ += value.json().is_null() ? "<no value>" : format_value(value.json());
      }
      break;
    }
    case Node::Kind::if_:
    case Node::Kind::with: walk_if_or_with(dot, node); break;
    case Node::Kind::range: walk_range(dot, node); break;
    case Node::Kind::break_:
    case Node::Kind::continue_: throw LoopSignal{node.kind};
    }
  }

  void walk_if_or_with(const Value& dot, const Node& node) {
    const std::size_t mark = vars_.size();
    const Value value = eval_pipeline(dot, *node.pipe);
    if (is_true(value)) {
      walk_list(node.kind == Node::Kind::with ? value : dot, node.list);
    } else {
      walk_list(dot, node.else_list);
    }
    vars_.resize(mark);
  }

  void walk_range(const Value& dot, const Node& node) {
    const std::size_t mark = vars_.size();
    const Pipe& pipe = *node.pipe;
    const Value value = eval_pipeline(dot, pipe, Decl::skip);
    const json& j = value.json();
    if (!pipe.is_assign) {
      for (const std::string& name : pipe.decl) {
        vars_.emplace_back(name, Value());
      }
    }
    bool ran = false;
    const auto iteration = [&](const Value& index, const Value& elem) {
      ran = true;
      bind_range_vars(pipe, mark, index, elem);
      const std::size_t inner = vars_.size();
      try {
        walk_list(elem, node.list);
      } catch (const LoopSignal& signal) {
        vars_.resize(inner);
        return signal.kind == Node::Kind::continue_;
      }
      vars_.resize(inner);
      return true;
    };
    if (j.is_array()) {
      for (std::size_t i = 0; i < j.size() && iteration(Value::make(json(i)), value.child(j[i]));
           ++i) {
      }
    } else if (j.is_object()) {
      for (auto it = j.begin(); it != j.end() && iteration(Value::make(json(it.key())),
                                                           value.child(it.value()));
           ++it) {
      }
    } else if (j.is_number_integer()) {
      const auto n = j.get<std::int64_t>();
      for (std::int64_t i = 0; i < n && iteration(Value::make(json(i)), Value::make(json(i)));
           ++i) {
      }
    } else if (!j.is_null()) {
      at(pipe.cmds.front().begin, pipe.cmds.back().end);
      fail("range can't iterate over " + format_value(j));
    }
    if (!ran) {
      walk_list(dot, node.else_list);
    }
    vars_.resize(mark);
  }

  // With one variable it gets the element; with two, the index (or key) then the element.
  void bind_range_vars(const Pipe& pipe, std::size_t mark, const Value& index, const Value& elem) {
    if (pipe.decl.empty()) {
      return;
    }
    const bool two = pipe.decl.size() > 1;
    if (pipe.is_assign) {
      set_var(pipe.decl[0], two ? index : elem);
      if (two) {
        set_var(pipe.decl[1], elem);
      }
      return;
    }
    vars_[mark].second = two ? index : elem;
    if (two) {
      vars_[mark + 1].second = elem;
    }
  }

  enum class Decl { apply, skip };

  // Go's evalPipeline; a null result becomes missing, as Go turns a nil interface{} into an
  // invalid value there.
  Value eval_pipeline(const Value& dot, const Pipe& pipe, Decl decl = Decl::apply) {
    std::optional<Value> value;
    for (const Command& cmd : pipe.cmds) {
      value = eval_command(dot, cmd, value);
    }
    Value result = value->json().is_null() ? Value() : *value;
    for (const std::string& name : pipe.decl) {
      if (decl == Decl::skip) {
        break;
      }
      if (pipe.is_assign) {
        set_var(name, result);
      } else {
        vars_.emplace_back(name, result);
      }
    }
    return result;
  }

  // `final` is the previous pipeline stage's result, passed as the last argument.
  Value eval_command(const Value& dot, const Command& cmd, const std::optional<Value>& final) {
    const Arg& first = cmd.args.front();
    const bool has_args = cmd.args.size() > 1 || final.has_value();
    switch (first.kind) {
    case Arg::Kind::function: return call(dot, first, &cmd, final);
    case Arg::Kind::field: return eval_fields(dot, first, has_args);
    case Arg::Kind::variable: return eval_variable(first, has_args);
    case Arg::Kind::pipe:
      if (!first.fields.empty()) {
        return chain(eval_pipeline(dot, *first.pipe), first, has_args);
      }
      not_a_function(first, has_args);
      return eval_pipeline(dot, *first.pipe);
    case Arg::Kind::nil: at(first); fail("nil is not a command");
    case Arg::Kind::dot: not_a_function(first, has_args); return dot;
    case Arg::Kind::constant: not_a_function(first, has_args); return Value::borrow(first.constant);
    }
    return Value();
  }

  void not_a_function(const Arg& arg, bool has_args) {
    if (has_args) {
      at(arg);
      fail("can't give argument to non-function " + source(arg.begin, arg.end));
    }
  }

  // A function argument: Go's evalArg (a function name alone is called without arguments).
  Value eval_arg(const Value& dot, const Arg& arg) {
    switch (arg.kind) {
    case Arg::Kind::dot: return dot;
    case Arg::Kind::nil: return Value::make(json());
    case Arg::Kind::constant: return Value::borrow(arg.constant);
    case Arg::Kind::field: return eval_fields(dot, arg, false);
    case Arg::Kind::variable: return eval_variable(arg, false);
    case Arg::Kind::function: return call(dot, arg, nullptr, std::nullopt);
    case Arg::Kind::pipe: return chain(eval_pipeline(dot, *arg.pipe), arg, false);
    }
    return Value();
  }

  Value eval_fields(const Value& dot, const Arg& arg, bool has_args) {
    return chain(dot, arg, has_args);
  }

  Value eval_variable(const Arg& arg, bool has_args) {
    if (arg.fields.empty()) {
      not_a_function(arg, has_args);
    }
    return chain(lookup(arg.name), arg, has_args);
  }

  // Applies `arg.fields` to `receiver`; only the last field would receive arguments.
  Value chain(Value receiver, const Arg& arg, bool has_args) {
    at(arg);
    for (std::size_t i = 0; i < arg.fields.size(); ++i) {
      receiver = field(receiver, arg.fields[i], has_args && i + 1 == arg.fields.size());
    }
    return receiver;
  }

  Value field(const Value& receiver, const std::string& name, bool has_args) {
    const json& j = receiver.json();
    if (receiver.is_missing()) {
      if (missing_ == MissingKey::error) {
        fail(fmt::format("nil data; no entry for key \"{}\"", name));
      }
      return Value();
    }
    if (j.is_object()) {
      if (has_args) {
        fail(name + " is not a method but has arguments");
      }
      const auto it = j.find(name);
      if (it != j.end()) {
        return receiver.child(*it);
      }
      if (missing_ == MissingKey::no_value) {
        return Value();
      }
    }
    if (j.is_null()) {
      fail("nil pointer evaluating interface {}." + name);
    }
    fail(fmt::format("can't evaluate field {} in type {}", name, go_type_name(j)));
  }

  Value call(const Value& dot, const Arg& fn, const Command* cmd,
             const std::optional<Value>& final) {
    const FuncInfo& info = *find_function(fn.name);
    const std::size_t given = (cmd != nullptr ? cmd->args.size() - 1 : 0) + (final ? 1 : 0);
    const auto at_call = [&] { cmd != nullptr ? at(cmd->begin, cmd->end) : at(fn); };
    at_call();
    if (given < info.min_args || given > info.max_args) {
      fail(fmt::format("wrong number of args for {}: want {}{} got {}", info.name,
                       info.max_args == k_variadic ? "at least " : "", info.min_args, given));
    }
    std::vector<Value> args;
    for (std::size_t i = 1; cmd != nullptr && i < cmd->args.size(); ++i) {
      args.push_back(eval_arg(dot, cmd->args[i]));
      // `and` and `or` stop at the first operand that decides (Go 1.18).
      if (info.fn == nullptr && is_true(args.back()) == (info.name == "or")) {
        return args.back();
      }
    }
    if (final) {
      args.push_back(*final);
    }
    at_call();
    if (info.fn == nullptr) {
      return args.back();
    }
    if (mode_ == FuncMode::header && info.header_identity) {
      return args.front();
    }
    try {
      return info.fn(args);
    } catch (const FuncError& error) {
      fail(error.kind == FuncError::Kind::call
               ? fmt::format("error calling {}: {}", info.name, error.what())
               : std::string(error.what()));
    }
  }

  Value lookup(const std::string& name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        return it->second;
      }
    }
    return Value(); // unreachable: the parser rejects undefined variables
  }

  void set_var(const std::string& name, const Value& value) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = value;
        return;
      }
    }
    fail("undefined variable: " + name);
  }

  void at(const Arg& arg) { at(arg.begin, arg.end); }
  void at(std::size_t begin, std::size_t end) {
    at_begin_ = begin;
    at_end_ = end;
  }

  [[nodiscard]] std::string source(std::size_t begin, std::size_t end) const {
    return tree_.source.substr(begin, end - begin);
  }

  // Docker's wording: template: :LINE:COL: executing "" at <NODE>: MESSAGE.
  [[noreturn]] void fail(const std::string& message) const {
    std::string context = source(at_begin_, at_end_);
    if (context.size() > 20) {
      context = context.substr(0, 20) + "...";
    }
    const Location where = locate(tree_.source, at_begin_);
    throw Error(ErrorKind::usage, fmt::format("template: :{}:{}: executing \"\" at <{}>: {}",
                                              where.line, where.column, context, message));
  }

  const Tree& tree_;
  MissingKey missing_;
  FuncMode mode_;
  std::string out_;
  std::vector<std::pair<std::string, Value>> vars_; // innermost last
  std::size_t at_begin_ = 0;                        // the node being evaluated, for errors
  std::size_t at_end_ = 0;
};

} // namespace

std::string execute(const Tree& tree, const json& data, MissingKey missing, FuncMode mode) {
  return Exec(tree, missing, mode).run(data);
}

} // namespace strata::go_template
