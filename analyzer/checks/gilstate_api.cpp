// SI008 gilstate-api: PyGILState_Ensure / PyGILState_Release. The GILState API assumes a
// single interpreter: on a thread that has no thread state it attaches to the main
// interpreter, whatever interpreter the code serves. The API names come from the rule's
// [data].
//
// Since 3.12 every thread state that gets attached is bound to the GILState slot of its OS
// thread (docs/cpython-behaviour.md #29), so on a thread that has a thread state of any
// interpreter, PyGILState_Ensure re-attaches that one, and PyGILState_GetThisThreadState
// (not in the table) returns it. The hazard is a thread without one: a thread the module
// or a library started. How the calling function is reached decides (docs/real-code.md,
// Session 13):
//   - handed, itself or a function calling it, to a thread-creating API
//     ([data.thread_start]): reported, naming the thread's start;
//   - reached only through APIs that call back on the registering thread, inside calls it
//     makes ([data.synchronous_callback]: sqlite3_create_function_v2, readline's hooks),
//     or through tables only CPython reads (methods, type slots, getters): not reported;
//   - otherwise (a library that may call from its own thread, a library's callback struct,
//     a function with no caller in the sources): reported as before, saying who decides
//     the thread.
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"
#include "rules/catalogue.h"

namespace subcheck::checks {
namespace {

using StringTable = std::map<std::string, std::string>;

const StringTable& data_table(const Rule& rule, const std::string& name) {
  static const StringTable none;
  auto found = rule.data_tables.find(name);
  return found == rule.data_tables.end() ? none : found->second;
}

// One way a function is entered.
struct Entry {
  enum class Kind {
    call,          // called directly by `caller`
    thread_start,  // handed to a thread-creating API
    synchronous,   // handed to an API that calls it back on the registering thread
    handed_on,     // handed to anything else: a library call, a variable or field
    interpreter,   // named in a table CPython reads (a method table, type slots, a getset
                   // table): CPython calls it on a thread with a thread state attached
    table,         // named in another global's initialiser: a library's callback struct
    address,       // its address taken in a way the facts do not follow (a local)
  } kind;
  const FunctionFact* caller = nullptr;  // for call
  const FunctionFact* handed = nullptr;  // the function handed on (for the handoff kinds)
  const FunctionHandoff* handoff = nullptr;
  std::string table;  // for table: the global's name
};

// How a function is reached, as the facts of one configuration show.
class EntryIndex {
 public:
  EntryIndex(const std::vector<const TranslationUnitFacts*>& units, const StringTable& thread_start,
             const StringTable& synchronous) {
    for (const auto* unit : units) {
      for (const auto& function : unit->functions) by_name_[function.name].emplace_back(unit, &function);
    }
    for (const auto* unit : units) {
      for (const auto& function : unit->functions) add_entries_from(*unit, function, thread_start, synchronous);
      for (const auto& global : unit->globals) {
        const Entry::Kind kind = is_read_by_cpython(global) ? Entry::Kind::interpreter : Entry::Kind::table;
        for (const std::string& name : global.functions) add(name, unit, {kind, {}, {}, {}, global.name});
      }
    }
  }

  const std::vector<Entry>& entries(const FunctionFact* function) const {
    static const std::vector<Entry> none;
    auto found = entries_.find(function);
    return found == entries_.end() ? none : found->second;
  }

 private:
  // Method tables, slot arrays, getset tables, module defs and static types: only CPython
  // calls what they name, from Python code or its own machinery, always with a thread
  // state attached.
  static bool is_read_by_cpython(const GlobalVarFact& global) {
    return global.kind == GlobalVarFact::Kind::api_table || global.kind == GlobalVarFact::Kind::static_type;
  }

  // The definition `name` means in `from`: its own (static) one first, else one with
  // external linkage.
  const FunctionFact* resolve(const std::string& name, const TranslationUnitFacts* from) const {
    auto found = by_name_.find(name);
    if (found == by_name_.end()) return nullptr;
    for (const auto& [unit, function] : found->second) {
      if (unit == from) return function;
    }
    for (const auto& [unit, function] : found->second) {
      if (function->external_linkage) return function;
    }
    return nullptr;
  }

  void add(const std::string& name, const TranslationUnitFacts* unit, Entry entry) {
    if (const FunctionFact* target = resolve(name, unit)) {
      if (entry.kind != Entry::Kind::call) entry.handed = target;
      entries_[target].push_back(std::move(entry));
    }
  }

  void add_entries_from(const TranslationUnitFacts& unit, const FunctionFact& function, const StringTable& thread_start,
                        const StringTable& synchronous) {
    std::set<std::string> accounted;
    for (const CallFact& call : function.calls) {
      accounted.insert(call.callee);
      add(call.callee, &unit, {Entry::Kind::call, &function, {}, {}, {}});
    }
    for (const FunctionHandoff& handoff : function.handoffs) {
      accounted.insert(handoff.function);
      Entry::Kind kind = Entry::Kind::handed_on;
      bool library_hook = handoff.kind == FunctionHandoff::Kind::argument || handoff.target_is_global;
      if (handoff.kind == FunctionHandoff::Kind::argument && thread_start.contains(handoff.target)) {
        kind = Entry::Kind::thread_start;
      } else if (library_hook && (synchronous.contains(handoff.target) ||
                                  synchronous.contains(handoff.target + "#" + std::to_string(handoff.position + 1)))) {
        kind = Entry::Kind::synchronous;
      }
      add(handoff.function, &unit, {kind, {}, {}, &handoff, {}});
    }
    for (const std::string& name : function.referenced_functions) {
      if (!accounted.contains(name)) add(name, &unit, {Entry::Kind::address, {}, {}, {}, {}});
    }
  }

  std::map<std::string, std::vector<std::pair<const TranslationUnitFacts*, const FunctionFact*>>> by_name_;
  std::map<const FunctionFact*, std::vector<Entry>> entries_;
};

// What the callers of a function, followed back through direct calls, show about the
// thread it runs on.
struct ThreadEvidence {
  std::optional<Entry> thread_start;  // the first start routine found, nearest first
  std::optional<Entry> unknown;       // the first entry that leaves the thread to someone else
  bool unexplained = false;           // a function on the way with no entry at all
  bool attached = false;              // some entry runs it on a thread with a thread state: a callback
                                      // made on the registering thread, or CPython calling a table's function
};

ThreadEvidence evidence_for(const EntryIndex& index, const FunctionFact* function) {
  ThreadEvidence evidence;
  std::vector<const FunctionFact*> queue{function};
  std::set<const FunctionFact*> seen{function};
  for (std::size_t next = 0; next < queue.size(); ++next) {
    const std::vector<Entry>& entries = index.entries(queue[next]);
    if (entries.empty()) evidence.unexplained = true;
    for (const Entry& entry : entries) {
      switch (entry.kind) {
        case Entry::Kind::call:
          if (seen.insert(entry.caller).second) queue.push_back(entry.caller);
          break;
        case Entry::Kind::thread_start:
          if (!evidence.thread_start) evidence.thread_start = entry;
          break;
        case Entry::Kind::synchronous:
        case Entry::Kind::interpreter: evidence.attached = true; break;
        case Entry::Kind::handed_on:
        case Entry::Kind::table:
        case Entry::Kind::address:
          if (!evidence.unknown ||
              (evidence.unknown->kind != Entry::Kind::handed_on && entry.kind == Entry::Kind::handed_on)) {
            evidence.unknown = entry;
          }
          break;
      }
    }
  }
  return evidence;
}

// "line 12" in the finding's own file, else "file.c:12".
std::string where(const SourceLocation& at, const SourceLocation& finding) {
  if (at.file == finding.file) return "line " + std::to_string(at.line);
  return std::filesystem::path(at.file).filename().string() + ":" + std::to_string(at.line);
}

// What each call does on a thread without a thread state: Ensure attaches the main
// interpreter, Release ends what Ensure began there.
std::string what_it_does(const std::string& api) {
  if (api == "PyGILState_Release")
    return "ends the thread state PyGILState_Ensure made, which is the main interpreter's";
  return "attaches to the main interpreter";
}

class GilStateApi final : public Check {
 public:
  std::string_view rule_id() const override { return "SI008"; }

  void run(CheckContext& context) const override {
    const auto units = context.model.units_for(context.config);
    const EntryIndex index(units, data_table(context.rule, "thread_start"),
                           data_table(context.rule, "synchronous_callback"));
    std::map<const FunctionFact*, ThreadEvidence> memo;
    for_each_listed_call(units, required_data(context.rule),
                         [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call,
                             const std::string& advice) {
                           auto known = memo.find(&function);
                           if (known == memo.end())
                             known = memo.emplace(&function, evidence_for(index, &function)).first;
                           std::optional<std::string> text =
                               message(function, call, known->second, data_table(context.rule, "own_thread"));
                           if (!text) return;
                           if (!advice.empty()) *text += "; use " + advice + " instead";
                           context.sink.report(call.location, std::move(*text), modules_of(context, unit));
                         });
  }

 private:
  // The finding's text, or nothing when every way in runs on a thread that has a thread
  // state (bound to GILState since 3.12): a callback the library makes on the registering
  // thread, or a method, slot or getter that CPython calls.
  // `own_thread` ([data.own_thread]): APIs known to call what they are handed on a thread
  // of the library's own, and when; the message says so after naming the API.
  static std::optional<std::string> message(const FunctionFact& function, const CallFact& call,
                                            const ThreadEvidence& evidence, const StringTable& own_thread) {
    const std::string head = call.callee + in_function(function.name);
    const std::string what = what_it_does(call.callee);
    if (evidence.thread_start) {
      const Entry& start = *evidence.thread_start;
      const std::string& routine = start.handed->name;
      std::string reached = routine == function.name ? "" : ", reached from " + routine + ",";
      return head + reached + " runs on a thread that " + start.handoff->target + " starts (" + routine +
             " handed to it at " + where(start.handoff->location, call.location) +
             "): that thread has no thread state, so it " + what + ", whatever interpreter started the thread";
    }
    if (evidence.attached && !evidence.unknown && !evidence.unexplained) return std::nullopt;
    std::string text = head + " assumes a single interpreter: on a thread without a thread state it " + what;
    if (evidence.unknown && evidence.unknown->kind == Entry::Kind::handed_on) {
      const FunctionHandoff& handoff = *evidence.unknown->handoff;
      const std::string& callback = evidence.unknown->handed->name;
      if (handoff.kind == FunctionHandoff::Kind::argument) {
        text += "; the thread " + callback + " runs on is decided by " + handoff.target +
                ", which it is handed to at " + where(handoff.location, call.location);
        if (auto known = own_thread.find(handoff.target); known != own_thread.end()) text += " (" + known->second + ")";
      } else {
        text += "; the thread " + callback + " runs on is decided by whoever calls " +
                (handoff.target.empty() ? std::string("the pointer") : handoff.target) + ", where it is stored at " +
                where(handoff.location, call.location);
      }
    }
    return text;
  }
};

}  // namespace

std::unique_ptr<Check> make_gilstate_api() { return std::make_unique<GilStateApi>(); }

}  // namespace subcheck::checks
